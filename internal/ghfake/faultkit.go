package ghfake

import "strconv"

// Endpoint keys of the calls that change a repository, for faults.
const (
	CreateRefEndpoint    = "POST /repos/{owner}/{repo}/git/refs"
	UpdateRefEndpoint    = "PATCH /repos/{owner}/{repo}/git/refs/{*}"
	DeleteRefEndpoint    = "DELETE /repos/{owner}/{repo}/git/refs/{*}"
	CreateTreeEndpoint   = "POST /repos/{owner}/{repo}/git/trees"
	CreateCommitEndpoint = "POST /repos/{owner}/{repo}/git/commits"
	CreatePullEndpoint   = "POST /repos/{owner}/{repo}/pulls"
	EditPullEndpoint     = "PATCH /repos/{owner}/{repo}/pulls/{n}"
	DispatchEndpoint     = "POST /repos/{owner}/{repo}/actions/workflows/{file}/dispatches"
	ListRunsEndpoint     = "GET /repos/{owner}/{repo}/actions/runs"
)

// WriteEndpoints lists the endpoints TfPilot writes through: a branch, its
// tree and commit, the pull request, dispatches and the merge.
var WriteEndpoints = []string{CreateRefEndpoint, UpdateRefEndpoint, DeleteRefEndpoint, CreateTreeEndpoint,
	CreateCommitEndpoint, CreatePullEndpoint, EditPullEndpoint, DispatchEndpoint, MergeEndpoint}

// ServerErrorBurst answers the next n requests to endpoint ("" for any)
// with 502, as GitHub does during an incident.
func ServerErrorBurst(endpoint string, n int) Fault {
	return Fault{Endpoint: endpoint, Times: n, Status: 502, Body: `{"message":"Server Error"}`}
}

// SecondaryRateLimit answers the next n requests to endpoint ("" for any)
// as GitHub's secondary rate limit does: status 403 or 429, Retry-After in
// seconds, the documented message, and primary quota left
// (docs.github.com, "Rate limits for the REST API").
func SecondaryRateLimit(endpoint string, n, status, retryAfter int) Fault {
	return Fault{Endpoint: endpoint, Times: n, Status: status,
		Header: map[string]string{"Retry-After": strconv.Itoa(retryAfter), "X-RateLimit-Remaining": "4000"},
		Body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",` +
			`"documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`}
}

// DroppedAfterWrite performs the next request to endpoint and then cuts
// the connection: the change is made, the client never hears of it.
func DroppedAfterWrite(endpoint string) Fault {
	return Fault{Endpoint: endpoint, AfterHandling: true, Drop: true}
}
