//! Binary downloads.

use utoipa::Modify;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{Content, RefOr};

use crate::application::attachments::THUMBNAIL_TYPE;
use crate::domain::attachments::MediaType;

/// Files are served with their own type: each type a download can have is listed with a binary
/// schema, so that generated clients hand back bytes rather than trying to parse them.
pub struct BinaryFiles;

impl Modify for BinaryFiles {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let file_types: Vec<&str> = MediaType::ALL.iter().map(|t| t.as_mime()).collect();
        let downloads = [
            ("/api/v1/attachments/{id}", &["200", "206"][..], file_types),
            (
                "/api/v1/attachments/{id}/thumbnail",
                &["200"][..],
                vec![THUMBNAIL_TYPE],
            ),
        ];
        let binary = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .build();
        for (path, statuses, types) in downloads {
            let Some(operation) = openapi
                .paths
                .paths
                .get_mut(path)
                .and_then(|p| p.get.as_mut())
            else {
                continue;
            };
            for status in statuses {
                if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(*status) {
                    response.content = types
                        .iter()
                        .map(|t| ((*t).to_owned(), Content::new(Some(binary.clone()))))
                        .collect();
                }
            }
        }
    }
}
