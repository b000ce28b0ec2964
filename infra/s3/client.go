package s3

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// API is the part of the S3 client the store calls; *s3.Client (from
// aws-sdk-go-v2/service/s3) implements it.
type API interface {
	GetObject(ctx context.Context, in *awss3.GetObjectInput, opts ...func(*awss3.Options)) (*awss3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *awss3.PutObjectInput, opts ...func(*awss3.Options)) (*awss3.PutObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *awss3.ListObjectsV2Input, opts ...func(*awss3.Options)) (*awss3.ListObjectsV2Output, error)
}

var _ API = (*awss3.Client)(nil)

// Config says how to reach S3. Credentials come from the standard chain
// (environment, shared config, web identity, instance role).
type Config struct {
	Region string // empty: from the environment / shared config
	// Endpoint overrides the S3 endpoint (an S3-compatible server); empty:
	// AWS, or AWS_ENDPOINT_URL_S3 if set.
	Endpoint string
	// PathStyle addresses buckets as <endpoint>/<bucket> rather than
	// <bucket>.<endpoint>; most S3-compatible servers need it.
	PathStyle bool
}

// NewClient builds an S3 client from cfg and the default AWS configuration.
func NewClient(ctx context.Context, cfg Config) (*awss3.Client, error) {
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("no AWS region: set AWS_REGION (or the region in the shared config)")
	}
	return awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
	}), nil
}
