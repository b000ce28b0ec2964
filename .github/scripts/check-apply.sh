#!/usr/bin/env bash
# Refuses an apply that TfPilot did not dispatch, or of a plan that TfPilot did not
# run and approve. apply.yml runs it before it downloads the plan or touches AWS.
#
# Both runs are read through the REST API, "Get a workflow run"
# (https://docs.github.com/en/rest/actions/workflow-runs#get-a-workflow-run), which
# answers for a run's latest attempt: path, event, head_branch, head_sha, status,
# conclusion, run_attempt and triggering_actor. This run must be:
#   - attempt 1 (a re-run repeats an apply nobody approved again);
#   - started by TfPilot: triggering_actor.id is TFPILOT_ACTOR_ID;
#   - on the request's branch, tfpilot/<REQUEST_ID>.
# The plan run must be:
#   - a run of .github/workflows/plan.yml (a workflow pushed under another name can
#     upload an artifact named like a plan);
#   - a workflow_dispatch run on this run's head_branch and head_sha;
#   - completed with conclusion success;
#   - at PLAN_RUN_ATTEMPT, the attempt TfPilot approved;
#   - started by TfPilot, like this run.
#
# triggering_actor, not actor: GitHub keeps a run's actor (who started its first
# attempt) on every re-run, and gives the re-run actor's privileges; the person who
# clicked "Re-run" is only in triggering_actor
# (https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#github-context).
# So a person's re-run of TfPilot's apply still has actor TfPilot.
#
# Environment (apply.yml sets it):
#   REPOSITORY        owner/name (github.repository)
#   RUN_ID            this run (github.run_id)
#   TF_ENV            input environment, for messages
#   REQUEST_ID        input request_id
#   PLAN_RUN_ID       input plan_run_id
#   PLAN_RUN_ATTEMPT  input plan_run_attempt
#   TFPILOT_ACTOR_ID  variable of the GitHub environment <env>-apply: the user ID
#                     of TfPilot's App bot user (gh api 'users/<app-slug>[bot]' --jq .id)
#   GH_TOKEN          a token with actions: read
# Needs gh and jq, both installed on GitHub's ubuntu runners.
set -euo pipefail

# fail prints its message as one ::error:: line and exits 1. The message may quote
# inputs and API answers: a line break in them would start a line of its own, which
# the runner reads as a workflow command (::add-mask::, ::stop-commands::), so CR and
# LF are shown as \r and \n.
fail() {
  local msg="$*"
  msg=${msg//$'\r'/'\r'}
  msg=${msg//$'\n'/'\n'}
  echo "::error::$msg"
  exit 1
}

# get_run ID reads workflow run ID and sets its fields: run_attempt, run_by and
# run_by_login (triggering_actor), run_path, run_event, run_branch, run_sha,
# run_status and run_conclusion; "" for null. It fails when the run cannot be read.
get_run() {
  local body assign
  unset run_attempt run_by run_by_login run_path run_event run_branch run_sha run_status run_conclusion
  if ! body=$(gh api "repos/$REPOSITORY/actions/runs/$1"); then
    fail "cannot read workflow run $1 of $REPOSITORY (see the gh error above); check that the job has permissions: actions: read"
  fi
  # Every value is made a string and quoted by @sh, so eval only ever assigns.
  if ! assign=$(jq -r 'def s: . // "" | tostring;
      if type != "object" then error("not a run") else . end | @sh "
      run_attempt=\(.run_attempt | s) run_by=\(.triggering_actor.id | s)
      run_by_login=\(.triggering_actor.login | s) run_path=\(.path | s) run_event=\(.event | s)
      run_branch=\(.head_branch | s) run_sha=\(.head_sha | s) run_status=\(.status | s)
      run_conclusion=\(.conclusion | s)"' <<<"$body" 2>/dev/null); then
    fail "the API's answer for workflow run $1 is not a run: $body"
  fi
  eval "$assign"
}

env_name="${TF_ENV:-<env>}-apply"
if [[ ! "${TFPILOT_ACTOR_ID:-}" =~ ^[1-9][0-9]*$ ]]; then
  fail "variable TFPILOT_ACTOR_ID of GitHub environment $env_name is '${TFPILOT_ACTOR_ID:-}', not a user ID: set it (Settings > Environments > $env_name) to the ID of TfPilot's App bot user, from gh api 'users/<app-slug>[bot]' --jq .id"
fi
# apply.yml's inputs job checks these too; the check does not rely on it.
if [[ ! "${REQUEST_ID:-}" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; then
  fail "request_id '${REQUEST_ID:-}' is not a lowercase UUID: apply only from TfPilot, which passes the request's ID"
fi
if [[ ! "${PLAN_RUN_ID:-}" =~ ^[0-9]+$ ]]; then
  fail "plan_run_id '${PLAN_RUN_ID:-}' is not a workflow run ID"
fi
if [[ ! "${PLAN_RUN_ATTEMPT:-}" =~ ^[1-9][0-9]*$ ]]; then
  fail "plan_run_attempt '${PLAN_RUN_ATTEMPT:-}' is not a run attempt (1 or more)"
fi

get_run "$RUN_ID"
if [ "$run_attempt" != 1 ]; then
  fail "this is attempt $run_attempt of run $RUN_ID: a re-run of an apply is refused; apply again from TfPilot (Retry on the request's card), which dispatches a new run"
fi
if [ "$run_by" != "$TFPILOT_ACTOR_ID" ]; then
  fail "run $RUN_ID was started by $run_by_login (user ID $run_by), not by TfPilot (user ID $TFPILOT_ACTOR_ID): only TfPilot dispatches apply.yml, once the plan is approved; approve the request in TfPilot instead"
fi
branch=$run_branch
sha=$run_sha
if [ "$branch" != "tfpilot/$REQUEST_ID" ]; then
  fail "run $RUN_ID is on branch '$branch', not on the request's branch tfpilot/$REQUEST_ID: apply only from TfPilot, which runs on the request's branch"
fi

get_run "$PLAN_RUN_ID"
if [ "$run_path" != .github/workflows/plan.yml ]; then
  fail "plan run $PLAN_RUN_ID is a run of '$run_path', not of .github/workflows/plan.yml: only plan.yml's plans are shown for approval; apply from TfPilot, which passes the approved plan run"
fi
if [ "$run_event" != workflow_dispatch ]; then
  fail "plan run $PLAN_RUN_ID was triggered by '$run_event', not workflow_dispatch: TfPilot dispatches every plan; plan the request again from TfPilot"
fi
if [ "$run_branch" != "$branch" ] || [ "$run_sha" != "$sha" ]; then
  fail "plan run $PLAN_RUN_ID ran on $run_branch at $run_sha, but this run is on $branch at $sha: a plan applies only to the commit it was made from; plan the request again from TfPilot"
fi
if [ "$run_status/$run_conclusion" != completed/success ]; then
  fail "plan run $PLAN_RUN_ID is $run_status/$run_conclusion, not completed/success: only a successful plan can be applied; plan the request again from TfPilot"
fi
if [ "$run_attempt" != "$PLAN_RUN_ATTEMPT" ]; then
  fail "plan run $PLAN_RUN_ID is at attempt $run_attempt, but TfPilot approved attempt $PLAN_RUN_ATTEMPT: it was re-run after the approval; plan the request again from TfPilot and approve the new plan"
fi
if [ "$run_by" != "$TFPILOT_ACTOR_ID" ]; then
  fail "plan run $PLAN_RUN_ID was started by $run_by_login (user ID $run_by), not by TfPilot (user ID $TFPILOT_ACTOR_ID): plan the request again from TfPilot and approve the new plan"
fi

echo "Run $RUN_ID (attempt 1) and plan run $PLAN_RUN_ID (attempt $PLAN_RUN_ATTEMPT) were started by TfPilot on $branch at $sha."
