//! A PARALLEL pipeline through the function's binary: two executions waiting at one
//! approval action, each answered only with its own token and by its own facts, by their
//! notices and by the sweep.

use super::{Function, WAIT, outcome};
use crate::common::*;
use crate::execution_modes::{EXECUTIONS, PIPELINE, POLICY, TOKENS, notice, parallel};
use stand_in::{Invocation, RuntimeApi};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_approvals_are_answered_each_with_its_own_token_by_notice_and_by_sweep() {
    // By notice: the first execution's tests passed, the second's failed.
    let stand_in = parallel("Failed").await;
    let runtime = RuntimeApi::start().await.unwrap();
    let function = Function::start(&runtime, &stand_in, POLICY);

    let first = runtime
        .invoke(notice(PIPELINE, "Approve", "Manual", TOKENS[0]), WAIT)
        .await
        .unwrap();
    let second = runtime
        .invoke(notice(PIPELINE, "Approve", "Manual", TOKENS[1]), WAIT)
        .await
        .unwrap();

    assert_eq!(outcome(&first), "approve");
    assert_eq!(outcome(&second), "reject");
    let answered: Vec<(String, String)> = stand_in
        .accepted_answers()
        .iter()
        .map(|call| {
            (
                call.body["token"].as_str().unwrap().to_owned(),
                call.body["result"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        answered,
        [
            (TOKENS[0].to_owned(), "Approved".to_owned()),
            (TOKENS[1].to_owned(), "Rejected".to_owned()),
        ]
    );
    let logs = function.logs();
    for token in TOKENS {
        assert!(!logs.contains(token), "a token leaked");
    }

    // By sweep, on a fresh pipeline: both found in the executions in progress.
    let stand_in = parallel("Succeeded").await;
    let runtime = RuntimeApi::start().await.unwrap();
    let _function = Function::start(&runtime, &stand_in, POLICY);
    let sweep = runtime
        .invoke(event("scheduled-sweep"), WAIT)
        .await
        .unwrap();
    let Invocation::Response(sweep) = sweep else {
        panic!("the sweep failed: {sweep:?}");
    };
    assert_eq!(sweep["sweep"]["answered"], 2, "{sweep}");
    let mut executions: Vec<&str> = sweep["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["execution_id"].as_str().unwrap())
        .collect();
    executions.sort_unstable();
    assert_eq!(executions, EXECUTIONS);
    let mut tokens: Vec<String> = stand_in
        .accepted_answers()
        .iter()
        .map(|call| call.body["token"].as_str().unwrap().to_owned())
        .collect();
    tokens.sort();
    assert_eq!(tokens, TOKENS);
}
