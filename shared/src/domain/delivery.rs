//! Where a code goes and how the caller is told.

use serde::{Deserialize, Serialize};

use super::mask;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DeliveryMedium {
    Email,
    Sms,
}

impl DeliveryMedium {
    pub fn attribute_name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "phone_number",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "EMAIL",
            Self::Sms => "SMS",
        }
    }

    pub fn mask(self, destination: &str) -> String {
        match self {
            Self::Email => mask::email(destination),
            Self::Sms => mask::phone(destination),
        }
    }
}

/// The resolved recovery channel: medium and the full destination (never shown unmasked).
#[derive(Clone, PartialEq, Eq)]
pub struct Channel {
    pub medium: DeliveryMedium,
    pub destination: String,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Channel({:?}, {})", self.medium, self.masked())
    }
}

impl Channel {
    pub fn masked(&self) -> String {
        self.medium.mask(&self.destination)
    }

    pub fn details(&self) -> CodeDeliveryDetails {
        CodeDeliveryDetails {
            destination: self.masked(),
            delivery_medium: self.medium,
            attribute_name: self.medium.attribute_name().to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeDeliveryDetails {
    pub destination: String,
    pub delivery_medium: DeliveryMedium,
    pub attribute_name: String,
}
