use super::Relationship;

/// Who may see something of mine (presence, last seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Everyone,
    Contacts,
    Nobody,
}

/// Who may start a direct chat with me.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectMessagePolicy {
    Everyone,
    Contacts,
}

/// Which events may notify me.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationPreferences {
    pub messages: bool,
    pub mentions: bool,
    pub contact_requests: bool,
    pub group_invites: bool,
    /// A digest of unread notifications by e-mail while away (opt-in).
    pub email_digest: bool,
}

/// A user's privacy and notification settings. A user who never changed them has `default()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub presence: Visibility,
    pub last_seen: Visibility,
    pub direct_messages: DirectMessagePolicy,
    /// Who may add me to a group or channel.
    pub group_invites: Visibility,
    pub notifications: NotificationPreferences,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            presence: Visibility::Everyone,
            last_seen: Visibility::Everyone,
            direct_messages: DirectMessagePolicy::Everyone,
            group_invites: Visibility::Everyone,
            notifications: NotificationPreferences {
                messages: true,
                mentions: true,
                contact_requests: true,
                group_invites: true,
                email_digest: false,
            },
        }
    }
}

impl Visibility {
    /// Whether someone related to the owner as `relationship` may see it. A block in either
    /// direction hides everything.
    pub fn allows(self, relationship: Relationship) -> bool {
        if relationship.blocked {
            return false;
        }
        match self {
            Self::Everyone => true,
            Self::Contacts => relationship.contacts,
            Self::Nobody => false,
        }
    }
}

impl DirectMessagePolicy {
    /// Whether someone related to the owner as `relationship` may start a direct chat.
    pub fn allows(self, relationship: Relationship) -> bool {
        !relationship.blocked && (self == Self::Everyone || relationship.contacts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRANGER: Relationship = Relationship {
        contacts: false,
        blocked: false,
    };
    const CONTACT: Relationship = Relationship {
        contacts: true,
        blocked: false,
    };
    const BLOCKED: Relationship = Relationship {
        contacts: false,
        blocked: true,
    };

    #[test]
    fn visibility_follows_the_setting_and_blocks_hide_everything() {
        assert!(Visibility::Everyone.allows(STRANGER));
        assert!(!Visibility::Contacts.allows(STRANGER));
        assert!(Visibility::Contacts.allows(CONTACT));
        assert!(!Visibility::Nobody.allows(CONTACT));
        assert!(!Visibility::Everyone.allows(BLOCKED));
    }

    #[test]
    fn direct_chats_follow_the_policy_and_blocks_forbid_them() {
        assert!(DirectMessagePolicy::Everyone.allows(STRANGER));
        assert!(!DirectMessagePolicy::Contacts.allows(STRANGER));
        assert!(DirectMessagePolicy::Contacts.allows(CONTACT));
        assert!(!DirectMessagePolicy::Everyone.allows(BLOCKED));
    }
}
