//! Every operation: its cost spent from the caller's budget once validated, a span of its own
//! (under the request's), and its duration and errors counted by operation name.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};
use tracing::Instrument;

use super::Viewer;
use crate::presentation::http::AppState;
use crate::presentation::http::extract::ClientMeta;

/// Distinct operation names used as metric labels; later ones count as `other`, so clients
/// cannot grow the series without bound.
const NAMES_MAX: usize = 200;

pub struct Observe {
    names: Arc<Mutex<HashSet<String>>>,
}

impl Observe {
    pub fn new() -> Self {
        Self {
            names: Arc::default(),
        }
    }
}

impl ExtensionFactory for Observe {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Operation {
            names: self.names.clone(),
            named: Mutex::new(("query", "anonymous".to_owned())),
        })
    }
}

struct Operation {
    names: Arc<Mutex<HashSet<String>>>,
    /// The operation's type and its name as a metric label, once parsed.
    named: Mutex<(&'static str, String)>,
}

impl Operation {
    fn label(&self, name: Option<&str>) -> String {
        let Some(name) = name.filter(|n| n.len() <= 64) else {
            return "anonymous".to_owned();
        };
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        if names.contains(name) || (names.len() < NAMES_MAX && names.insert(name.to_owned())) {
            name.to_owned()
        } else {
            "other".to_owned()
        }
    }

    fn named(&self) -> (&'static str, String) {
        self.named
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Operation {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let (name, operation) = match &document.operations {
            DocumentOperations::Single(op) => (None, op),
            DocumentOperations::Multiple(ops) => match ops.iter().next() {
                Some((name, op)) if ops.len() == 1 => (Some(name.as_str()), op),
                _ => return Ok(document),
            },
        };
        let kind = match operation.node.ty {
            OperationType::Query => "query",
            OperationType::Mutation => "mutation",
            OperationType::Subscription => "subscription",
        };
        *self.named.lock().unwrap_or_else(PoisonError::into_inner) = (kind, self.label(name));
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let Ok(state) = ctx.data::<actix_web::web::Data<AppState>>() else {
            return Ok(result);
        };
        let caller = match (ctx.data_opt::<Viewer>(), ctx.data_opt::<ClientMeta>()) {
            (Some(viewer), _) => viewer.0.user_id.to_string(),
            (None, Some(meta)) => format!("ip:{}", meta.ip.as_deref().unwrap_or("unknown")),
            (None, None) => "unknown".to_owned(),
        };
        let cost = u32::try_from(result.complexity.max(1)).unwrap_or(u32::MAX);
        if let Err(refused) = state.graphql_cost.spend_by(caller, cost).await {
            let error = async_graphql::Error::from(refused);
            return Err(vec![error.into_server_error(Default::default())]);
        }
        Ok(result)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let (kind, mut name) = self.named();
        if let Some(asked) = operation_name {
            name = self.label(Some(asked));
        }
        let span = tracing::info_span!("graphql", otel.name = %format!("{kind} {name}"),
            graphql.operation.type = kind, graphql.operation.name = %name);
        let started = Instant::now();
        let response = next.run(ctx, operation_name).instrument(span).await;
        let labels = [("type", kind.to_owned()), ("operation", name)];
        metrics::histogram!("graphql_operation_duration_seconds", &labels)
            .record(started.elapsed().as_secs_f64());
        if response.is_err() {
            metrics::counter!("graphql_operation_errors_total", &labels).increment(1);
        }
        response
    }
}
