//! A rule's check function, for `explain` from files: its answer as `aws lambda invoke`
//! writes it (`--function-answer`), given as is to the gate, whose own reading of answers
//! decides whether it is usable; and the requests the gate made, so that an answer no file
//! gives can be asked for with the very request. (`explain --live` invokes the function
//! through [`crate::aws::Lambda`] instead.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::files::Problems;
use crate::check_function::{CheckFunctions, InvokeError};

/// A request the gate made of a check function.
#[derive(Clone, Debug, PartialEq)]
pub struct Asked {
    /// The function's ARN, as the rule names it.
    pub function: String,
    /// The document it was shown (`approval-gate/check-function/v1`): what the gate proved,
    /// with the token redacted.
    pub request: Value,
}

impl Asked {
    /// The approval the request is about, `pipeline/stage/action`.
    fn approval(&self) -> String {
        let text = |key: &str| self.request.get(key).and_then(Value::as_str).unwrap_or("?");
        format!("{}/{}/{}", text("pipeline"), text("stage"), text("action"))
    }
}

/// The requests made of check functions, readable once the port has moved into a gate.
#[derive(Clone, Debug, Default)]
pub struct Requests(Arc<Mutex<Vec<Asked>>>);

impl Requests {
    pub fn list(&self) -> Vec<Asked> {
        self.0.lock().map(|asked| asked.clone()).unwrap_or_default()
    }

    /// Records `asked` and returns the first request made, if it was another.
    fn add(&self, asked: Asked) -> Option<Asked> {
        let Ok(mut requests) = self.0.lock() else {
            return None;
        };
        let first = requests.first().filter(|first| **first != asked).cloned();
        if !requests.contains(&asked) {
            requests.push(asked);
        }
        first
    }
}

/// An answer given as a file: what `aws lambda invoke … answer.json` wrote to answer.json.
#[derive(Clone, Debug)]
pub struct AnswerGiven {
    /// The file's name, for messages.
    pub name: String,
    /// Its bytes as they are: the gate's reading decides whether they are an answer.
    pub bytes: Vec<u8>,
}

/// The check functions' port of `explain` from files. The one answer file answers the one
/// request the gate makes; with no file, a request is a [`Problem`](Problems) that shows the
/// AWS CLI command and the request to run it with.
#[derive(Debug)]
pub struct FileFunctions {
    answer: Option<AnswerGiven>,
    requests: Requests,
    problems: Problems,
}

impl FileFunctions {
    pub fn new(answer: Option<AnswerGiven>, problems: Problems) -> Self {
        Self {
            answer,
            requests: Requests::default(),
            problems,
        }
    }

    /// The requests the gate makes through this port, to read after it has.
    pub fn requests(&self) -> Requests {
        self.requests.clone()
    }
}

/// The AWS CLI command that asks `function` what the gate would: the request in
/// request.json, the answer written to answer.json.
pub fn invoke_command(function: &str) -> String {
    format!(
        "aws lambda invoke --function-name {function} --cli-binary-format raw-in-base64-out \
         --payload file://request.json answer.json"
    )
}

impl CheckFunctions for FileFunctions {
    async fn invoke(
        &self,
        function: &str,
        payload: Vec<u8>,
        _timeout: Duration,
    ) -> Result<Vec<u8>, InvokeError> {
        // The gate writes the payload from a JSON value; should it ever not read back,
        // it is shown as the text it is.
        let request = serde_json::from_slice(&payload)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&payload).into_owned()));
        let asked = Asked {
            function: function.to_owned(),
            request,
        };
        let first = self.requests.add(asked.clone());
        let Some(answer) = &self.answer else {
            self.problems.record(format!(
                "the decision asks check function {function} about {}, and no file gives its \
                 answer: save the request below as request.json, run `{}` and give \
                 answer.json with --function-answer (or explain with --live, which invokes \
                 the function). The request:\n    {}",
                asked.approval(),
                invoke_command(function),
                asked.request
            ));
            return Err(InvokeError::Invoke(
                "no --function-answer file gives its answer".into(),
            ));
        };
        if let Some(first) = first {
            self.problems.record(format!(
                "--function-answer {} answers one request, and the decision asks check \
                 functions about {} and {}: explain one approval at a time with --stage and \
                 --action",
                answer.name,
                first.approval(),
                asked.approval()
            ));
            return Err(InvokeError::Invoke(
                "the --function-answer file answers another request".into(),
            ));
        }
        Ok(answer.bytes.clone())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:lambda:eu-central-1:111122223333:function:change-ticket";

    fn request(stage: &str) -> Vec<u8> {
        serde_json::json!({"pipeline": "web-shop", "stage": stage, "action": "Manual"})
            .to_string()
            .into_bytes()
    }

    #[tokio::test]
    async fn one_answer_file_answers_one_request_only() {
        let problems = Problems::default();
        let answer = AnswerGiven {
            name: "answer.json".into(),
            bytes: b"{\"pass\": true, \"reason\": \"ok\"}".to_vec(),
        };
        let functions = FileFunctions::new(Some(answer.clone()), problems.clone());
        let timeout = Duration::from_secs(5);
        let first = functions
            .invoke(ARN, request("Approve-Prod"), timeout)
            .await;
        assert_eq!(first.unwrap(), answer.bytes);
        // The same request again (the gate judges one approval once, but nothing is lost
        // if it asks twice) is answered alike.
        let again = functions
            .invoke(ARN, request("Approve-Prod"), timeout)
            .await;
        assert_eq!(again.unwrap(), answer.bytes);
        assert!(problems.list().is_empty());
        let other = functions
            .invoke(ARN, request("Approve-Staging"), timeout)
            .await;
        assert!(other.is_err());
        let listed = problems.list();
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert!(
            listed[0].contains("web-shop/Approve-Prod/Manual and web-shop/Approve-Staging/Manual"),
            "{listed:?}"
        );
        assert_eq!(functions.requests().list().len(), 2);
    }

    #[tokio::test]
    async fn without_a_file_each_request_is_a_problem_showing_it() {
        let problems = Problems::default();
        let functions = FileFunctions::new(None, problems.clone());
        let asked = functions
            .invoke(ARN, request("Approve-Prod"), Duration::from_secs(5))
            .await;
        assert!(asked.is_err());
        let listed = problems.list();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].contains(&invoke_command(ARN)), "{listed:?}");
        let (_, shown) = listed[0].split_once("The request:\n").unwrap();
        let shown: Value = serde_json::from_str(shown.trim()).unwrap();
        assert_eq!(shown["stage"], "Approve-Prod");
    }
}
