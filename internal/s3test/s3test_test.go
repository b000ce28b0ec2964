package s3test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// TestConditionalWrites pins what the S3 store relies on from the server:
// If-None-Match: * refuses to replace an object, If-Match refuses a stale
// ETag, both with 412 PreconditionFailed, and a matching If-Match succeeds.
func TestConditionalWrites(t *testing.T) {
	_, bucket, c := Start(t)
	ctx := t.Context()
	put := func(body string, ifNoneMatch, ifMatch *string) (string, error) {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
			Body: bytes.NewReader([]byte(body)), IfNoneMatch: ifNoneMatch, IfMatch: ifMatch})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ETag), nil
	}
	first, err := put("one", aws.String("*"), nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	steps := []struct {
		name        string
		body        string
		ifNoneMatch *string
		ifMatch     *string
		wantCode    string
	}{
		{"create again", "two", aws.String("*"), nil, "PreconditionFailed"},
		{"update with a stale ETag", "two", nil, aws.String(`"0123456789abcdef0123456789abcdef"`), "PreconditionFailed"},
		{"update with the current ETag", "two", nil, aws.String(first), ""},
		{"update with the replaced ETag", "three", nil, aws.String(first), "PreconditionFailed"},
	}
	for _, st := range steps {
		_, err := put(st.body, st.ifNoneMatch, st.ifMatch)
		var apiErr smithy.APIError
		switch {
		case st.wantCode == "" && err != nil:
			t.Errorf("%s: %v, want success", st.name, err)
		case st.wantCode != "" && (!errors.As(err, &apiErr) || apiErr.ErrorCode() != st.wantCode):
			t.Errorf("%s: %v, want %s", st.name, err, st.wantCode)
		}
	}
}
