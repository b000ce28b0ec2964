package ghfake

// AppUserID is the user ID of the app's bot user (AppLogin): the actor and
// triggering_actor of every run dispatched through the API, and what
// apply.yml's TFPILOT_ACTOR_ID names.
const AppUserID = 149000001

// AppID is the ID of TfPilot's App, whose bot user is AppLogin: the
// performed_via_github_app of the comments the client writes.
const AppID = 4242

// userID gives a person's login a stable user ID, as GitHub's are.
func userID(login string) int64 {
	id := int64(1000)
	for _, c := range login {
		id = id*31 + int64(c)
	}
	return id%100000000 + 1
}

func appUser() map[string]any {
	return map[string]any{"login": AppLogin, "id": AppUserID, "type": "Bot"}
}

// triggeringActor is who started the run's latest attempt: the app for a
// dispatch, the person for a re-run. actor stays the app either way, as on
// GitHub, which re-runs with the first attempt's actor and privileges.
func triggeringActor(r *run) map[string]any {
	if r.rerunBy == "" {
		return appUser()
	}
	return map[string]any{"login": r.rerunBy, "id": userID(r.rerunBy), "type": "User"}
}

// Rerun re-runs a completed run as the GitHub user login does with "Re-run
// all jobs": the same run ID, inputs and head_sha, run_attempt one higher,
// triggering_actor login. The new attempt queues in the run's concurrency
// group like a new run.
func (f *Fake) Rerun(id int64, login string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRun(id)
	if r.status != "completed" {
		f.t.Errorf("ghfake: re-run run %d: it is %s, and GitHub re-runs only completed runs", id, r.status)
		return
	}
	r.reruns++
	r.rerunBy = login
	r.conclusion, r.neverStarted = "", false
	f.admit(r)
}
