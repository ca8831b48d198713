use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use super::*;
use crate::domain::messages::{Message, MessageKind, MessageRecord};
use crate::domain::shared::{MemberChange, MessageId};

fn at(second: i64) -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::seconds(second)
}

fn read(conversations: &[(ConversationId, i64)], log_head: i64) -> AsOfLog<Vec<Activity>> {
    AsOfLog {
        value: conversations
            .iter()
            .map(|(id, second)| Activity {
                id: *id,
                last_activity_at: at(*second),
            })
            .collect(),
        log_head: Some(log_head),
    }
}

fn message(conversation_id: ConversationId, second: i64) -> DomainEvent {
    DomainEvent::MessageCreated {
        message: Arc::new(Message::restore(MessageRecord {
            id: MessageId::new(),
            conversation_id,
            seq: 1,
            sender_id: UserId::new(),
            kind: MessageKind::Text,
            content: "hi".into(),
            client_message_id: None,
            reply_to: None,
            reply_count: 0,
            mentions: Vec::new(),
            attachment_ids: Vec::new(),
            created_at: at(second),
            edited_at: None,
            deleted_at: None,
        })),
    }
}

/// A started order holding `user` in three conversations, newest `c`, then `b`, then `a`.
fn held() -> (ChatOrder, UserId, [ConversationId; 3]) {
    let order = ChatOrder::new(100);
    let (user, a, b, c) = (
        UserId::new(),
        ConversationId::new(),
        ConversationId::new(),
        ConversationId::new(),
    );
    order.apply_start(10);
    order.keep(user, &read(&[(a, 1), (b, 2), (c, 3)], 10));
    (order, user, [a, b, c])
}

impl ChatOrder {
    fn apply_start(&self, position: i64) {
        let mut state = self.write();
        state.position = Some(position);
    }
}

#[test]
fn a_page_is_newest_first_and_continues_after_its_cursor() {
    let (order, user, [a, b, c]) = held();
    let page = order.page(user, None, 2).unwrap();
    assert_eq!(
        page,
        OrderedPage {
            ids: vec![c, b],
            position: 10
        }
    );
    let cursor = ChatListCursor {
        last_activity_at: at(2),
        id: b,
    };
    assert_eq!(order.page(user, Some(cursor), 2).unwrap().ids, vec![a]);
}

#[test]
fn equal_activity_is_ordered_by_id_descending() {
    let ids = [
        ConversationId::new(),
        ConversationId::new(),
        ConversationId::new(),
    ];
    let activity: Vec<Activity> = ids
        .iter()
        .map(|id| Activity {
            id: *id,
            last_activity_at: at(5),
        })
        .collect();
    let mut expected = ids.to_vec();
    expected.sort_by(|x, y| y.cmp(x));
    assert_eq!(choose(activity.clone(), None, 3), expected);
    assert_eq!(choose(activity, None, 1), expected[..1]);
}

#[test]
fn a_new_message_moves_its_conversation_first_and_never_back() {
    let (order, user, [a, b, c]) = held();
    order.apply(11, &message(a, 7));
    assert_eq!(order.page(user, None, 3).unwrap().ids, vec![a, c, b]);
    // An event applied late, from a clock behind, does not move it back.
    order.apply(12, &message(a, 4));
    let page = order.page(user, None, 3).unwrap();
    assert_eq!((page.ids, page.position), (vec![a, c, b], 12));
}

#[test]
fn a_membership_change_drops_the_list_of_the_user_it_names() {
    for change in [
        |conversation_id, user_id| {
            DomainEvent::ParticipantAdded(MemberChange {
                conversation_id,
                user_id,
                by: user_id,
            })
        },
        |conversation_id, user_id| {
            DomainEvent::ParticipantRemoved(MemberChange {
                conversation_id,
                user_id,
                by: user_id,
            })
        },
        |conversation_id, user_id| DomainEvent::ConversationCreated {
            conversation_id,
            members: vec![user_id],
        },
        |conversation_id, user_id| DomainEvent::ConversationDeleted {
            conversation_id,
            participants: vec![user_id],
        },
    ] {
        let (order, user, [a, ..]) = held();
        order.apply(11, &change(ConversationId::new(), UserId::new()));
        assert!(order.page(user, None, 3).is_some(), "another user's change");
        order.apply(12, &change(a, user));
        assert!(order.page(user, None, 3).is_none());
    }
}

#[test]
fn an_event_the_read_already_saw_does_not_drop_it() {
    let order = ChatOrder::new(100);
    let (user, a) = (UserId::new(), ConversationId::new());
    order.apply_start(10);
    order.keep(user, &read(&[(a, 1)], 14));
    order.apply(
        13,
        &DomainEvent::ParticipantAdded(MemberChange {
            conversation_id: a,
            user_id: user,
            by: user,
        }),
    );
    assert_eq!(order.page(user, None, 3).unwrap().ids, vec![a]);
}

#[test]
fn a_read_older_than_the_events_handled_is_not_kept() {
    let order = ChatOrder::new(100);
    let (user, a) = (UserId::new(), ConversationId::new());
    order.keep(user, &read(&[(a, 1)], 10));
    assert!(order.page(user, None, 3).is_none(), "not started");
    order.apply_start(10);
    order.apply(11, &message(ConversationId::new(), 1));
    order.keep(user, &read(&[(a, 1)], 10));
    assert!(order.page(user, None, 3).is_none());
    order.keep(user, &read(&[(a, 1)], 11));
    assert!(order.page(user, None, 3).is_some());
}

#[test]
fn an_old_creation_event_without_members_drops_every_list() {
    let (order, user, [a, ..]) = held();
    order.apply(
        11,
        &DomainEvent::ConversationCreated {
            conversation_id: a,
            members: Vec::new(),
        },
    );
    assert!(order.page(user, None, 3).is_none());
}

#[tokio::test]
async fn missed_events_drop_everything() {
    let (order, user, _) = held();
    order
        .missed(Gap {
            after: 10,
            through: 20,
        })
        .await;
    assert!(order.page(user, None, 3).is_none());
    order.keep(user, &read(&[(ConversationId::new(), 1)], 20));
    assert_eq!(order.page(user, None, 3).unwrap().position, 20);
}

#[test]
fn past_its_capacity_it_starts_again() {
    let order = ChatOrder::new(3);
    order.apply_start(1);
    let (first, second) = (UserId::new(), UserId::new());
    let two = [(ConversationId::new(), 1), (ConversationId::new(), 2)];
    order.keep(first, &read(&two, 1));
    order.keep(second, &read(&two, 1));
    assert!(order.page(first, None, 3).is_none());
    assert_eq!(order.page(second, None, 3).unwrap().ids.len(), 2);
}
