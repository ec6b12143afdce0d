-- Sends each Cookie header of a file once (the file is split between wrk's threads; the last
-- requests in flight may repeat one), then stops: `wrk -t2 ... -s bench/each_cookie.lua URL -- FILE`.
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  cookies = {}
  local n = 0
  for line in io.lines(args[1]) do
    if n % 2 == id then
      cookies[#cookies + 1] = line
    end
    n = n + 1
  end
  sent, answered = 0, 0
end

function request()
  sent = sent + 1
  return wrk.format("GET", nil, { cookie = cookies[(sent - 1) % #cookies + 1] })
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= #cookies then
    wrk.thread:stop()
  end
end

dofile("bench/report.lua")
