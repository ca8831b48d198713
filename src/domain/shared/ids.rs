use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies a user account.
    UserId
);
id_type!(
    /// Identifies one signed-in device: a session and its refresh-token family.
    SessionId
);
id_type!(
    /// Identifies a conversation (direct, group or channel).
    ConversationId
);
id_type!(
    /// Identifies a message.
    MessageId
);
id_type!(
    /// Identifies a notification; time-ordered, so it doubles as the inbox cursor.
    NotificationId
);
id_type!(
    /// Identifies a registered push device.
    DeviceId
);
id_type!(
    /// Identifies an uploaded file.
    AttachmentId
);
id_type!(
    /// Identifies a business.
    BusinessId
);
id_type!(
    /// Identifies a team (a queue) of a business.
    TeamId
);
