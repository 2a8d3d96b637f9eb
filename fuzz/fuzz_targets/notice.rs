//! Bytes as an SNS message (`parse_notice`) and as a Lambda event (`sns_record` on every
//! record, then `parse_notice` on its message). Nothing may panic, and whatever is accepted
//! must be what CodePipeline could have sent: valid names, a token of possible shape.

#![no_main]

use approval_gate::names;
use approval_gate::notice::{self, ApprovalRequest};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(request) = notice::parse_notice(text) {
        check_accepted(&request);
    }
    let Ok(event) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let records = match event.get("Records").and_then(Value::as_array) {
        Some(records) => records.clone(),
        None => vec![event],
    };
    for record in &records {
        let Ok(sns) = notice::sns_record(record) else {
            continue;
        };
        let allowed = [sns.sns.topic_arn.clone()];
        assert!(notice::check_topic(&sns, Some(&allowed)).is_ok());
        assert!(notice::check_topic(&sns, Some(&[])).is_err());
        if let Ok(request) = notice::parse_notice(&sns.sns.message) {
            check_accepted(&request);
        }
    }
});

fn check_accepted(request: &ApprovalRequest) {
    let target = &request.target;
    for name in [&target.pipeline, &target.stage, &target.action] {
        assert!(names::check_name(name).is_ok(), "accepted name {name:?}");
    }
    let token = request.token.expose();
    assert!(
        (1..=128).contains(&token.len())
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "accepted token {token:?}"
    );
    assert_eq!(format!("{}", request.token), "<redacted>");
    // The token may only show in the request's Debug where another field repeats it.
    let shown = format!("{request:?}");
    if token.len() >= 12 && shown.contains(token) {
        let elsewhere = [
            request.custom_data.as_deref(),
            request.console_link.as_deref(),
            request.region.as_deref(),
        ];
        assert!(
            elsewhere
                .iter()
                .flatten()
                .any(|field| field.contains(token))
                || target.to_string().contains(token),
            "the token shows in {shown}"
        );
    }
    // Claims never carry the token, in any case, nor a piece of 8 characters or more.
    let claims = request.claims();
    let token = token.to_ascii_lowercase();
    for claim in [&claims.execution_id, &claims.commit_id]
        .into_iter()
        .flatten()
    {
        let claim = claim.to_ascii_lowercase();
        assert!(
            !claim.contains(&token) && !(claim.len() >= 8 && token.contains(&claim)),
            "a claim quotes the token"
        );
    }
}
