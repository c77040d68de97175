package s3store

import (
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Config is what a deployment says about its bucket; the wiring fills it from the
// environment (FACEGATE_S3_BUCKET, FACEGATE_S3_REGION or AWS_REGION, FACEGATE_S3_ENDPOINT,
// FACEGATE_S3_PATH_STYLE, ...).
type Config struct {
	// Bucket is the bucket name. Required.
	Bucket string
	// Region overrides the region of the aws.Config passed to NewFromConfig.
	Region string
	// Endpoint is the base URL of an S3-compatible server (MinIO, a local fake);
	// empty means AWS.
	Endpoint string
	// UsePathStyle puts the bucket in the path instead of the host name, as most
	// S3-compatible servers need.
	UsePathStyle bool
	// SSE and KMSKeyID are as in Options.
	SSE      string
	KMSKeyID string
	// MaxAttempts bounds how often one call is sent (first try included); 0 means 3.
	MaxAttempts int
	// MaxBackoff bounds the wait between attempts; 0 means 1s, which keeps a
	// function's worst case well inside an API gateway's 30 s limit.
	MaxBackoff time.Duration
}

// NewFromConfig builds the S3 client and the Store. awscfg carries credentials and
// region, usually from config.LoadDefaultConfig in main (on Lambda: the function's role).
func NewFromConfig(cfg Config, awscfg aws.Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3store: bucket is not set (FACEGATE_S3_BUCKET)")
	}
	if cfg.Region == "" && awscfg.Region == "" {
		return nil, errors.New("s3store: region is not set (FACEGATE_S3_REGION or AWS_REGION)")
	}
	attempts := cfg.MaxAttempts
	if attempts <= 0 {
		attempts = 3
	}
	backoff := cfg.MaxBackoff
	if backoff <= 0 {
		backoff = time.Second
	}
	client := s3.NewFromConfig(awscfg, func(o *s3.Options) {
		if cfg.Region != "" {
			o.Region = cfg.Region
		}
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.UsePathStyle
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = attempts
			so.MaxBackoff = backoff
		})
	})
	return New(client, cfg.Bucket, Options{SSE: cfg.SSE, KMSKeyID: cfg.KMSKeyID})
}
