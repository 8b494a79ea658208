//! Task tokens: opaque to workers, unforgeable, cheap to check.
//!
//! A token is `base64url(task_id ‖ HMAC-SHA256(key, task_id)[..16])`. A token
//! that fails the check is made up (`InvalidToken`); one that passes names a
//! task that exists now or existed once (`TaskTimedOut` if it has ended).
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Identifies one scheduled task (one attempt of one Task state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub u128);

// Task ids are 128-bit; JSON numbers are not (serde_json's `Value` holds at most 64 bits),
// so they travel as hex strings.
impl serde::Serialize for TaskId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:032x}", self.0))
    }
}

impl<'de> serde::Deserialize<'de> for TaskId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        u128::from_str_radix(&text, 16).map(TaskId).map_err(serde::de::Error::custom)
    }
}

/// Mints and checks task tokens with a secret key.
#[derive(Clone)]
pub struct TokenSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner(..)")
    }
}

const MAC_LEN: usize = 16;

impl TokenSigner {
    /// A signer with the given secret key.
    pub fn new(key: [u8; 32]) -> Self {
        TokenSigner { key }
    }

    fn keyed(&self, id: &[u8; 16]) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length works");
        mac.update(id);
        mac
    }

    fn mac(&self, id: &[u8; 16]) -> [u8; MAC_LEN] {
        let full = self.keyed(id).finalize().into_bytes();
        let mut out = [0; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    /// The token for `task`.
    pub fn mint(&self, task: TaskId) -> String {
        let id = task.0.to_be_bytes();
        let mut raw = [0u8; 16 + MAC_LEN];
        raw[..16].copy_from_slice(&id);
        raw[16..].copy_from_slice(&self.mac(&id));
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The task a token names, if the token is genuine.
    pub fn verify(&self, token: &str) -> Option<TaskId> {
        let raw = URL_SAFE_NO_PAD.decode(token.as_bytes()).ok()?;
        if raw.len() != 16 + MAC_LEN {
            return None;
        }
        let id: [u8; 16] = raw[..16].try_into().ok()?;
        // The hmac crate's constant-time check of the truncated tag: a forger learns
        // nothing from timing.
        let genuine = self.keyed(&id).verify_truncated_left(&raw[16..]).is_ok();
        genuine.then(|| TaskId(u128::from_be_bytes(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_resist_forgery() {
        let signer = TokenSigner::new([7; 32]);
        let token = signer.mint(TaskId(42));
        assert_eq!(signer.verify(&token), Some(TaskId(42)));
        assert_eq!(TokenSigner::new([8; 32]).verify(&token), None);
        let mut forged = token.clone().into_bytes();
        forged[3] = if forged[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(signer.verify(std::str::from_utf8(&forged).unwrap()), None);
        assert_eq!(signer.verify("made-up"), None);
        assert_eq!(signer.verify(""), None);
    }
}

#[cfg(test)]
mod serde_tests {
    use super::TaskId;

    #[test]
    fn task_ids_round_trip_through_json_values() {
        let id = TaskId(u128::MAX - 7);
        let value = serde_json::to_value(id).unwrap();
        assert_eq!(serde_json::from_value::<TaskId>(value).unwrap(), id);
    }
}
