//! The byte formats Better-Auth uses, so that either implementation reads what the other wrote:
//! signed cookie values ([`signing`]), scrypt password hashes ([`password`]) and random ids and
//! tokens ([`token`]).

pub(crate) mod identifier;
pub(crate) mod jwt;
pub(crate) mod legacy;
pub(crate) mod password;
pub(crate) mod signing;
pub(crate) mod token;
