//! Text and time from outside: arbitrary Unicode that quotes the token, and clocks near
//! daylight-saving changes.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use libfuzzer_sys::arbitrary::{Result, Unstructured};

/// Zones with an hour's, half an hour's, a negative and a two hours' daylight saving, none,
/// and a day skipped (Apia, 2011-12-30).
pub(crate) const ZONES: &[&str] = &[
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
    "Europe/Dublin",
    "America/St_Johns",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Antarctica/Troll",
];

/// Cron allow windows: always open, dense, never open, on the clock's changes, and the
/// `L`, `W` and `#` forms. Some are refused (`0/2` in the seconds), which is fine.

/// Pieces of text from outside: what a committer, an alarm's author or CloudWatch writes.
const PIECES: &[&str] = &[
    "Fix the thing",
    "WIP: ",
    "[skip auto-approve]",
    "JIRA-123 ",
    "Signed-off-by: A <a@b.c>",
    "ä",
    "ö",
    "ü",
    "Ä",
    "ß",
    "ẞ",
    "😀",
    "👍🏽",
    "🚀",
    "👨‍👩‍👧",
    "日本語",
    "e\u{301}",
    "\n",
    "\r\n",
    "\t",
    "\u{1b}[31m",
    "\u{0}",
    "\u{7f}",
    "\u{85}",
    "\u{202e}",
    "\u{200b}",
    "\u{feff}",
    "\u{2028}",
    "…",
    "...",
    " ",
    "-",
    "\"",
    "\\",
    "<redacted>",
    "{\"CommitMessage\":",
    "Threshold Crossed: 1 out of the last 1 datapoints [7.0 (25/11/26 08:00:00)]",
    "\u{10ffff}",
    "\u{fffd}",
    "straße",
    "Grüße",
    "0f1e2d3c",
    "#{SourceVariables.CommitId}",
];
/// What long runs of text are made of, one byte to four wide.
const RUNS: &[&str] = &["a", "é", "ß", "€", "日", "😀", "\n", "0", "-", "…"];
/// Where cuts happen: quotes of 20, 40, 60, 80 and 100 characters, names of 255, the
/// summary's 512 bytes and the revision summary's 2048.
const LENGTHS: &[usize] = &[
    7, 8, 9, 19, 20, 21, 39, 40, 41, 59, 60, 61, 79, 80, 81, 99, 100, 101, 140, 254, 255, 256, 480,
    500, 511, 512, 513, 2047, 2048, 2049,
];

/// A token shaped like CodePipeline's: a UUID, in either case.
pub(crate) fn token(u: &mut Unstructured<'_>) -> Result<String> {
    let bytes: [u8; 16] = u.arbitrary()?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let uuid = format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    );
    Ok(if u.arbitrary()? {
        uuid.to_ascii_uppercase()
    } else {
        uuid
    })
}

/// The token as text from outside may quote it: whole, in another case, cut short (with
/// or without a `…`), or nearly.
fn token_quote(u: &mut Unstructured<'_>, token: &str) -> Result<String> {
    let cut = u.int_in_range(1..=token.len())?;
    Ok(match u.int_in_range(0..=6)? {
        0 => token.to_owned(),
        1 => token.to_ascii_uppercase(),
        2 => token
            .chars()
            .map(|c| {
                if u.arbitrary().unwrap_or(false) {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect(),
        3 => token[..cut].to_owned(),
        4 => format!("{}…", &token[..cut]),
        5 => format!("{}\n{}", &token[..cut], &token[cut..]),
        _ => format!("{}{}", token, &token[..cut]),
    })
}

/// Arbitrary Unicode text, made of pieces: fixed ones, the token quoted, runs that reach
/// the lengths where text is cut, arbitrary characters and strings.
pub(crate) fn text(u: &mut Unstructured<'_>, token: &str) -> Result<String> {
    let mut out = String::new();
    for _ in 0..u.int_in_range(0..=6)? {
        match u.int_in_range(0..=7)? {
            0 | 1 => out.push_str(u.choose(PIECES)?),
            2 | 3 => out.push_str(&token_quote(u, token)?),
            4 => {
                let run = *u.choose(RUNS)?;
                let length = *u.choose(LENGTHS)?;
                let by_bytes = u.arbitrary::<bool>()?;
                let start = if by_bytes {
                    out.len()
                } else {
                    out.chars().count()
                };
                let mut added = 0;
                while start + added < length {
                    out.push_str(run);
                    added += if by_bytes {
                        run.len()
                    } else {
                        run.chars().count()
                    };
                }
            }
            5 => out.push(u.arbitrary::<char>()?),
            6 => out.push_str(u.arbitrary::<&str>()?),
            _ => out.push_str(&token[..u.int_in_range(0..=token.len())?]),
        }
        if out.len() > 4_200 {
            break;
        }
    }
    Ok(out)
}

pub(crate) fn seconds(
    u: &mut Unstructured<'_>,
    range: std::ops::RangeInclusive<i64>,
) -> Result<SignedDuration> {
    Ok(SignedDuration::from_secs(u.int_in_range(range)?))
}

/// The clock: any moment of 2000 to 2040, near one of `zone`'s transitions, or near
/// moments where calendars turn (new year, February 29, the ends of cron's years).
pub(crate) fn clock(u: &mut Unstructured<'_>, zone: &TimeZone) -> Result<Timestamp> {
    const Y2000: i64 = 946_684_800;
    let any = Timestamp::from_second(Y2000 + u.int_in_range(0..=40 * 365 * 86_400)?)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let base = match u.int_in_range(0..=5)? {
        0 => any,
        1..=3 => zone
            .following(any)
            .next()
            .map_or(any, |transition| transition.timestamp()),
        _ => {
            let moments = [
                "2026-12-31T23:00:00Z",
                "2028-02-29T12:00:00Z",
                "2027-01-01T00:00:00Z",
                "2199-12-31T23:30:00Z",
                "2200-01-01T00:00:00Z",
                "1970-01-01T00:00:00Z",
                "9999-12-30T00:00:00Z",
                "2011-12-29T10:00:00Z",
            ];
            u.choose(&moments)?.parse().unwrap_or(any)
        }
    };
    let shift = seconds(u, -3 * 3_600..=3 * 3_600)?;
    let nanos = if u.arbitrary()? {
        0
    } else {
        u.int_in_range(0..=999_999_999)?
    };
    let at = base.checked_add(shift).unwrap_or(base);
    Ok(Timestamp::new(at.as_second(), nanos).unwrap_or(at))
}

pub(crate) fn maybe_time(u: &mut Unstructured<'_>, now: Timestamp) -> Result<Option<Timestamp>> {
    Ok(match u.int_in_range(0..=4)? {
        0 => None,
        1 => now.checked_add(seconds(u, 0..=86_400)?).ok(),
        _ => now.checked_sub(seconds(u, 0..=30 * 86_400)?).ok(),
    })
}
