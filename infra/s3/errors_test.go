package s3

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// sdkError builds an error shaped like the SDK's: an operation error around
// a response error around an API error.
func sdkError(status int, code string) error {
	var api error = &smithy.GenericAPIError{Code: code, Message: "msg"}
	if code == "" {
		api = errors.New("no body")
	}
	return &smithy.OperationError{ServiceID: "S3", OperationName: "PutObject", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: api},
	}}
}

func TestTranslate(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error // sentinel, or nil for none
	}{
		{"precondition failed", sdkError(412, "PreconditionFailed"), flow.ErrConflict},
		{"conditional request conflict", sdkError(409, "ConditionalRequestConflict"), flow.ErrConflict},
		{"412 without a code", sdkError(412, ""), flow.ErrConflict},
		{"no such key", sdkError(404, "NoSuchKey"), flow.ErrNotFound},
		{"head not found", sdkError(404, "NotFound"), flow.ErrNotFound},
		{"no such bucket is not a missing request", sdkError(404, "NoSuchBucket"), nil},
		{"access denied", sdkError(403, "AccessDenied"), nil},
		{"KMS denied", sdkError(403, "KMS.AccessDeniedException"), nil},
		{"slow down", sdkError(503, "SlowDown"), flow.ErrTransient},
		{"internal error", sdkError(500, "InternalError"), flow.ErrTransient},
		{"too many requests", sdkError(429, "Whatever"), flow.ErrTransient},
		{"no response", &smithy.OperationError{Err: errors.New("dial tcp: connection refused")}, flow.ErrTransient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := translate(context.Background(), "put", "requests/x.json", tc.err)
			for _, s := range []error{flow.ErrConflict, flow.ErrNotFound, flow.ErrTransient, flow.ErrExists} {
				if got, want := errors.Is(err, s), s == tc.want; got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, want)
				}
			}
			var apiErr smithy.APIError
			var opErr *smithy.OperationError
			if errors.As(err, &apiErr) || errors.As(err, &opErr) {
				t.Errorf("%v exposes an SDK type", err)
			}
		})
	}
}

func TestTranslateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := translate(ctx, "get", "k", &smithy.OperationError{Err: context.Canceled})
	if !errors.Is(err, context.Canceled) || errors.Is(err, flow.ErrTransient) {
		t.Errorf("got %v, want context.Canceled and not transient", err)
	}
}

func TestErrorText(t *testing.T) {
	err := translate(context.Background(), "put", "tfpilot/requests/x.json", sdkError(412, "PreconditionFailed"))
	want := "s3 put tfpilot/requests/x.json: PreconditionFailed (HTTP 412): msg"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
}

// fakeAPI records the PutObject inputs and answers them with an ETag.
type fakeAPI struct {
	API
	puts []*awss3.PutObjectInput
}

func (f *fakeAPI) PutObject(ctx context.Context, in *awss3.PutObjectInput, _ ...func(*awss3.Options)) (*awss3.PutObjectOutput, error) {
	f.puts = append(f.puts, in)
	return &awss3.PutObjectOutput{ETag: aws.String(`"etag-2"`)}, nil
}

// putView is what the store decides about a PutObject.
type putView struct {
	Bucket, Key, ContentType string
	SSE                      types.ServerSideEncryption
	KMSKey, IfMatch          string
	IfNoneMatch              string
	BodyPrefix               string
}

func view(in *awss3.PutObjectInput) putView {
	body, _ := io.ReadAll(in.Body)
	return putView{Bucket: aws.ToString(in.Bucket), Key: aws.ToString(in.Key), ContentType: aws.ToString(in.ContentType),
		SSE: in.ServerSideEncryption, KMSKey: aws.ToString(in.SSEKMSKeyId), IfMatch: aws.ToString(in.IfMatch),
		IfNoneMatch: aws.ToString(in.IfNoneMatch), BodyPrefix: string(body[:min(len(body), 12)])}
}

func TestPutRequests(t *testing.T) {
	const id = "0195a3c0-0000-7000-8000-000000000001"
	tests := []struct {
		name string
		opt  Options
		op   func(ctx context.Context, s *Store, a *Audit) error
		want putView
	}{
		{"create, SSE-S3", Options{Bucket: "b", Prefix: "tfpilot/"},
			func(ctx context.Context, s *Store, _ *Audit) error { return s.Create(ctx, &flow.Request{ID: id}) },
			putView{Bucket: "b", Key: "tfpilot/requests/" + id + ".json", ContentType: "application/json",
				SSE: types.ServerSideEncryptionAes256, IfNoneMatch: "*", BodyPrefix: "{\n  \"id\": \"0"}},
		{"update, SSE-KMS", Options{Bucket: "b", KMSKeyID: "alias/tfpilot"},
			func(ctx context.Context, s *Store, _ *Audit) error {
				return s.Update(ctx, &flow.Request{ID: id, Rev: `"etag-1"`})
			},
			putView{Bucket: "b", Key: "requests/" + id + ".json", ContentType: "application/json",
				SSE: types.ServerSideEncryptionAwsKms, KMSKey: "alias/tfpilot", IfMatch: `"etag-1"`, BodyPrefix: "{\n  \"id\": \"0"}},
		{"audit record, dated in UTC", Options{Bucket: "b", Prefix: "p/", KMSKeyID: "k"},
			func(ctx context.Context, _ *Store, a *Audit) error {
				return a.Record(ctx, flow.AuditRecord{RequestID: id, Seq: 12, At: base()})
			},
			putView{Bucket: "b", Key: "p/audit/2026/01/03/" + id + "/12.json", ContentType: "application/json",
				SSE: types.ServerSideEncryptionAwsKms, KMSKey: "k", IfNoneMatch: "*", BodyPrefix: `{"request_id`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAPI{}
			if err := tc.op(t.Context(), New(f, tc.opt), NewAudit(f, tc.opt)); err != nil {
				t.Fatal(err)
			}
			if len(f.puts) != 1 {
				t.Fatalf("%d PutObject calls, want 1", len(f.puts))
			}
			if diff := cmp.Diff(tc.want, view(f.puts[0])); diff != "" {
				t.Errorf("PutObject (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateSetsRev(t *testing.T) {
	r := &flow.Request{ID: "0195a3c0-0000-7000-8000-000000000001", Rev: `"etag-1"`}
	if err := New(&fakeAPI{}, Options{Bucket: "b"}).Update(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if r.Rev != `"etag-2"` {
		t.Errorf("Rev = %s, want the new ETag", r.Rev)
	}
}

// base is 2026-01-02 23:30 in New York: 2026-01-03 in UTC.
func base() time.Time {
	return time.Date(2026, 1, 2, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))
}
