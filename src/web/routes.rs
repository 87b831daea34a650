//! The only way to declare a route: [`Routes`], whose every method takes the
//! route's guard, next to the route. [`super::router`] accepts nothing else,
//! so a route without a guard does not compile; the table of declared routes
//! ([`Routes::table`]) lets a test check every one.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::handler::Handler;
use axum::middleware::{Next, from_fn};
use axum::routing::MethodRouter;

use super::AppState;
use super::extract::auth::{Access, enforce};
use crate::domain::auth::Capability;

/// One declared route: its path (with `{param}` placeholders) and its guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    pub path: String,
    pub access: Access,
}

/// Routes, each with the guard it was declared with.
#[must_use]
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteEntry>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    /// Anyone may call it.
    pub fn public(self, path: &str, route: MethodRouter<AppState>) -> Routes {
        self.add(Access::Public, path, route)
    }

    /// Any signed-in user or token.
    pub fn signed_in(self, path: &str, route: MethodRouter<AppState>) -> Routes {
        self.add(Access::SignedIn, path, route)
    }

    /// A signed-in session, never a token.
    pub fn session(self, path: &str, route: MethodRouter<AppState>) -> Routes {
        self.add(Access::Session, path, route)
    }

    /// A principal whose role has `cap` (see [`crate::domain::auth::Role::can`]).
    pub fn require(self, cap: Capability, path: &str, route: MethodRouter<AppState>) -> Routes {
        self.add(Access::Can(cap), path, route)
    }

    /// A public tree served by its own router (static files).
    pub fn public_tree(mut self, prefix: &str, router: Router<AppState>) -> Routes {
        self.router = self.router.merge(router);
        self.table.push(RouteEntry {
            path: format!("{prefix}/{{*path}}"),
            access: Access::Public,
        });
        self
    }

    fn add(mut self, access: Access, path: &str, route: MethodRouter<AppState>) -> Routes {
        let guarded = route.route_layer(from_fn(move |req: Request, next: Next| {
            enforce(access, req, next)
        }));
        self.router = self.router.route(path, guarded);
        self.table.push(RouteEntry {
            path: path.to_string(),
            access,
        });
        self
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    pub fn nest(mut self, prefix: &str, other: Routes) -> Routes {
        self.router = self.router.nest(prefix, other.router);
        self.table
            .extend(other.table.into_iter().map(|e| RouteEntry {
                path: format!("{prefix}{}", e.path),
                access: e.access,
            }));
        self
    }

    /// The body limit of these routes.
    pub fn body_limit(mut self, bytes: usize) -> Routes {
        self.router = self.router.layer(DefaultBodyLimit::max(bytes));
        self
    }

    /// What these routes answer for a path none of them declares.
    pub fn fallback<H, T>(mut self, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.fallback(handler);
        self
    }

    /// Every declared route with its guard.
    pub fn table(&self) -> &[RouteEntry] {
        &self.table
    }

    pub(super) fn into_router(self) -> Router<AppState> {
        self.router
    }
}
