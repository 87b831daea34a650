//! HTML pages by area: thin handlers that parse the request, call one
//! service or render function and answer a template (or a redirect).

/// A page: an askama template around a view model of `render` (the
/// template reads the view's fields through `Deref`); `From` the view.
macro_rules! page {
    ($page:ident, $view:ty, $path:tt) => {
        #[derive(askama::Template, askama_web::WebTemplate)]
        #[template(path = $path)]
        pub struct $page {
            pub view: $view,
        }

        impl std::ops::Deref for $page {
            type Target = $view;
            fn deref(&self) -> &$view {
                &self.view
            }
        }

        impl From<$view> for $page {
            fn from(view: $view) -> Self {
                $page { view }
            }
        }
    };
}

pub mod account;
pub mod admin;
pub mod api_docs;
pub mod atlas;
pub mod confirm;
pub mod downloads;
pub mod favicon;
pub mod incidents;
pub mod matrix;
pub mod metrics;
pub mod notifications;
pub mod reports;
pub mod story;
