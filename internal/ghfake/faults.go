package ghfake

// MergeEndpoint is the endpoint key of "Merge a pull request", for faults.
const MergeEndpoint = "PUT /repos/{owner}/{repo}/pulls/{n}/merge"

// BaseModifiedMessage is what GitHub's merge endpoint answers, with 405,
// when the base branch moved while it was merging. It is not in the
// endpoint's documentation (docs.github.com/rest/pulls/pulls#merge-a-pull-request
// says only "405 Method Not Allowed if merge cannot be performed"), but
// clients meet it under concurrent merges and a retry succeeds
// (github.community "Merging via REST API returns 405 Base branch was
// modified"; e.g. NixOS/nixpkgs-merge-bot#179, quipper/monorepo-deploy-actions#499).
const BaseModifiedMessage = "Base branch was modified. Review and try the merge again."

// BaseModifiedFault is a fault answering the next merge with the transient
// 405 BaseModifiedMessage, as GitHub does when the base moved under the
// merge. Set Before to move the base too (CommitToBranch) when the test
// wants the base to have really moved.
func BaseModifiedFault() Fault {
	return Fault{Endpoint: MergeEndpoint, Status: 405,
		Body: `{"message":"` + BaseModifiedMessage + `","documentation_url":"https://docs.github.com/rest/pulls/pulls#merge-a-pull-request","status":"405"}`}
}
