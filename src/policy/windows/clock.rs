//! Civil clock arithmetic and rendering, in minutes of the day.

use jiff::civil::{Date, DateTime, Time, Weekday};

use super::MINUTES_PER_DAY;

/// `minute` may run past midnight into the next day (a window crossing midnight ends there).
pub(super) fn at_minute(date: Date, minute: i32) -> Option<DateTime> {
    let (date, minute) = if minute >= MINUTES_PER_DAY {
        (date.tomorrow().ok()?, minute - MINUTES_PER_DAY)
    } else {
        (date, minute)
    };
    let hour = i8::try_from(minute / 60).ok()?;
    let minute = i8::try_from(minute % 60).ok()?;
    Time::new(hour, minute, 0, 0)
        .ok()
        .map(|time| date.to_datetime(time))
}

pub(super) fn minute_of_day(civil: DateTime) -> i32 {
    i32::from(civil.hour()) * 60 + i32::from(civil.minute())
}

pub(super) fn render_clock(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

pub(super) fn render_civil(civil: DateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {}",
        civil.year(),
        civil.month(),
        civil.day(),
        render_clock(minute_of_day(civil))
    )
}

pub(super) fn weekday_title(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}
