//! Who is looking at the page being rendered, for the templates: the same
//! role-capability table as the routes' guards ([`Role::can`]). The outer
//! guard sets it for the request with [`scope`]; templates call the free
//! functions below (an anonymous visitor when none is set).

use std::future::Future;

use crate::domain::auth::{Capability, Role};

/// The visitor of the current request.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    /// The signed-in user's name and effective role (none when anonymous).
    pub user: Option<(String, Role)>,
    /// How many of the user's notifications are unread (the header's badge).
    pub unread: i64,
}

impl Visitor {
    pub fn can(&self, cap: Capability) -> bool {
        self.user.as_ref().is_some_and(|(_, role)| role.can(cap))
    }
}

tokio::task_local! {
    static VISITOR: Visitor;
}

/// Runs `fut` (the rest of the request) with `visitor` as the page's visitor.
pub async fn scope<F: Future>(visitor: Visitor, fut: F) -> F::Output {
    VISITOR.scope(visitor, fut).await
}

/// The current visitor (anonymous outside a request).
pub fn current() -> Visitor {
    VISITOR.try_with(Visitor::clone).unwrap_or_default()
}

pub fn signed_in() -> bool {
    current().user.is_some()
}

/// May the visitor write incidents (new, edit, move, delete, import)?
pub fn can_write() -> bool {
    current().can(Capability::WriteIncidents)
}

/// May the visitor use the admin area (releases, case studies, users, audit)?
pub fn can_admin() -> bool {
    current().can(Capability::ManageReleases)
}

pub fn user_name() -> String {
    current().user.map(|(name, _)| name).unwrap_or_default()
}

pub fn role_label() -> &'static str {
    current().user.map(|(_, role)| role.label()).unwrap_or("")
}

pub fn unread() -> i64 {
    current().unread
}

/// What a cached page must be keyed by: the visitor's name and role, and
/// the badge of their header.
pub fn cache_key() -> String {
    let v = current();
    match v.user {
        Some((name, role)) => format!("{name}:{role}:{}", v.unread),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_visitor_follows_the_capability_table() {
        assert!(!signed_in() && !can_write() && !can_admin());
        let analyst = Visitor {
            user: Some(("ana".into(), Role::Analyst)),
            unread: 0,
        };
        scope(analyst, async {
            assert!(signed_in() && can_write() && !can_admin());
            assert_eq!((user_name().as_str(), role_label()), ("ana", "Analyst"));
        })
        .await;
        let viewer = Visitor {
            user: Some(("vi".into(), Role::Viewer)),
            unread: 0,
        };
        scope(viewer, async { assert!(signed_in() && !can_write()) }).await;
    }
}
