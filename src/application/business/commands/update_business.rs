use std::sync::Arc;

use crate::application::business::{BusinessPorts, business_of, staff_of};
use crate::application::error::AppError;
use crate::domain::business::{
    Business, BusinessError, BusinessId, BusinessRepository, Hours, MemberRole, Opening,
    parse_name, parse_reply,
};
use crate::domain::shared::UserId;

/// A change of profile: `None` keeps a field.
#[derive(Default)]
pub struct ProfileChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub show_agent_names: Option<bool>,
    pub time_zone: Option<String>,
    pub hours: Option<Vec<Opening>>,
    pub holidays: Option<Vec<String>>,
    pub closed_reply: Option<String>,
}

/// Owners change the profile: name, description, hours, holidays and the closed reply.
pub struct UpdateBusinessHandler {
    businesses: Arc<dyn BusinessRepository>,
}

impl UpdateBusinessHandler {
    pub fn new(ports: &BusinessPorts) -> Self {
        Self {
            businesses: ports.businesses.clone(),
        }
    }

    pub async fn handle(
        &self,
        me: UserId,
        id: BusinessId,
        change: ProfileChange,
    ) -> Result<Business, AppError> {
        let member = staff_of(self.businesses.as_ref(), id, me).await?;
        if member.role != MemberRole::Owner {
            return Err(BusinessError::OwnerOnly.into());
        }
        let mut business = business_of(self.businesses.as_ref(), id).await?;
        let mut errors = crate::application::error::FieldErrors::default();
        if let Some(name) = change.name {
            business.name = errors.check("name", parse_name(&name)).unwrap_or_default();
        }
        if let Some(description) = change.description {
            let description = description.trim();
            if description.chars().count() > 1000 {
                errors.add("description", BusinessError::DescriptionTooLong.to_string());
            }
            business.description = description.to_owned();
        }
        if let Some(reply) = change.closed_reply {
            business.closed_reply = errors
                .check("closed_reply", parse_reply(&reply))
                .unwrap_or_default();
        }
        if change.time_zone.is_some() || change.hours.is_some() || change.holidays.is_some() {
            let was = &business.hours;
            let zone = change
                .time_zone
                .unwrap_or_else(|| was.time_zone().to_owned());
            let weekly = change.hours.unwrap_or_else(|| was.weekly().to_vec());
            let holidays = change.holidays.unwrap_or_else(|| was.holidays());
            match Hours::new(&zone, weekly, &holidays) {
                Ok(hours) => business.hours = hours,
                Err(error @ BusinessError::TimeZoneUnknown) => {
                    errors.add("time_zone", error.to_string())
                }
                Err(error @ BusinessError::HolidayInvalid) => {
                    errors.add("holidays", error.to_string())
                }
                Err(error) => errors.add("hours", error.to_string()),
            }
        }
        errors.into_result()?;
        if let Some(show) = change.show_agent_names {
            business.show_agent_names = show;
        }
        self.businesses.update(&business).await?;
        Ok(business)
    }
}
