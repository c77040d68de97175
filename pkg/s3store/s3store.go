// Package s3store keeps session records and media in an Amazon S3 bucket (or an
// S3-compatible one) through aws-sdk-go-v2. Create-only writes use S3's conditional
// PUT (If-None-Match: *), so racing writers of one key get exactly one winner without
// any locking of our own.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/facegate/facegate/pkg/storage"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Server-side encryption settings for Options.SSE.
const (
	// SSES3 encrypts with S3-managed keys (AES256); the default.
	SSES3 = "AES256"
	// SSEKMS encrypts with a KMS key: Options.KMSKeyID, or the bucket's AWS-managed key.
	SSEKMS = "aws:kms"
	// SSENone sends no encryption header, for S3-compatible servers that reject it; the
	// bucket's default encryption (if any) still applies.
	SSENone = "none"
)

// MaxMediaTTL is the longest lifetime of a presigned media link (SigV4's limit).
const MaxMediaTTL = 7 * 24 * time.Hour

// Options configures a Store.
type Options struct {
	// SSE is SSES3 (when empty), SSEKMS or SSENone.
	SSE string
	// KMSKeyID is the KMS key (id, ARN or alias) for SSEKMS; empty means the AWS-managed key.
	KMSKeyID string
}

// Store is a storage.Store and storage.MediaStore on one S3 bucket. It is safe for concurrent
// use. Retries, timeouts and credentials are the *s3.Client's; see NewFromConfig.
type Store struct {
	client   *s3.Client
	presign  *s3.PresignClient
	bucket   string
	sse      types.ServerSideEncryption
	kmsKeyID *string
}

var (
	_ storage.Store      = (*Store)(nil)
	_ storage.MediaStore = (*Store)(nil)
)

// New returns a Store on bucket using client.
func New(client *s3.Client, bucket string, opts Options) (*Store, error) {
	if client == nil {
		return nil, errors.New("s3store: client is nil")
	}
	if bucket == "" {
		return nil, errors.New("s3store: bucket is empty")
	}
	s := &Store{client: client, presign: s3.NewPresignClient(client), bucket: bucket}
	switch opts.SSE {
	case "", SSES3:
		s.sse = types.ServerSideEncryptionAes256
	case SSEKMS:
		s.sse = types.ServerSideEncryptionAwsKms
		if opts.KMSKeyID != "" {
			s.kmsKeyID = aws.String(opts.KMSKeyID)
		}
	case SSENone:
	default:
		return nil, fmt.Errorf("s3store: SSE %q is not %q, %q or %q", opts.SSE, SSES3, SSEKMS, SSENone)
	}
	if opts.KMSKeyID != "" && s.sse != types.ServerSideEncryptionAwsKms {
		return nil, fmt.Errorf("s3store: a KMS key needs SSE %q", SSEKMS)
	}
	return s, nil
}

// Create writes data under key only if no object exists there. S3 answers 412
// PreconditionFailed when one does (storage.ErrExists), and 409 ConditionalRequestConflict
// while another conditional write of the key is in flight; that one is retried, as AWS
// advises, within the client's attempt budget, and if it persists it also means
// another writer holds the key. Should a retried attempt (after a 5xx or a lost
// connection) meet the object its own first attempt stored, it reports ErrExists too,
// which the core treats like losing a race: it reads the stored copy, here its own.
func (s *Store) Create(ctx context.Context, key string, data []byte) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	if len(data) > storage.MaxObjectSize {
		return fmt.Errorf("s3store: create %q: %w", key, storage.ErrTooLarge)
	}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               aws.String(s.bucket),
		Key:                  aws.String(key),
		Body:                 bytes.NewReader(data),
		ContentLength:        aws.Int64(int64(len(data))),
		IfNoneMatch:          aws.String("*"),
		ServerSideEncryption: s.sse,
		SSEKMSKeyId:          s.kmsKeyID,
	}, retryConditionalConflict)
	if err != nil {
		if status, code := responseOf(err); status == http.StatusPreconditionFailed || code == "PreconditionFailed" || code == "ConditionalRequestConflict" {
			return fmt.Errorf("s3store: create %q: %w", key, storage.ErrExists)
		}
		return wrap(ctx, "create", key, err)
	}
	return nil
}

// retryConditionalConflict adds S3's 409 ConditionalRequestConflict to what the client
// retries, for this call only: the SDK does not retry it by default.
func retryConditionalConflict(o *s3.Options) {
	o.Retryer = retry.AddWithErrorCodes(o.Retryer, "ConditionalRequestConflict")
}

// Get returns the object under key. A missing object is storage.ErrNotFound; a missing
// bucket is a configuration error and stays a plain error, so that a wrong bucket name
// never looks like "no such session". Objects over storage.MaxObjectSize are refused from
// their Content-Length before any of the body is read.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		if status, code := responseOf(err); code == "NoSuchKey" || (status == http.StatusNotFound && code != "NoSuchBucket") {
			return nil, fmt.Errorf("s3store: get %q: %w", key, storage.ErrNotFound)
		}
		return nil, wrap(ctx, "get", key, err)
	}
	defer out.Body.Close()
	data, err := storage.ReadCapped(out.Body, aws.ToInt64(out.ContentLength))
	if errors.Is(err, storage.ErrTooLarge) {
		return nil, fmt.Errorf("s3store: get %q: %w", key, err)
	}
	if err != nil {
		return nil, wrap(ctx, "get", key, err)
	}
	return data, nil
}

// Delete removes the object under key with DeleteObject. S3 answers 204 whether or not
// an object was there; a 404 for the key (from an S3-compatible server) is also success,
// but a missing bucket stays an error. The SDK retries a 5xx or a lost connection, which
// is safe because a repeated delete is a no-op.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		if status, code := responseOf(err); code == "NoSuchKey" || (status == http.StatusNotFound && code != "NoSuchBucket") {
			return nil
		}
		return wrap(ctx, "delete", key, err)
	}
	return nil
}

// List pages with ListObjectsV2: Prefix, StartAfter = after, MaxKeys one more than
// still wanted, then the continuation token of each truncated answer, until it holds
// limit+1 keys or S3 has no more (see storage.ListPages). A List of fewer than 1000 keys
// is one LIST request when the bucket holds only keys the store could have written.
func (s *Store) List(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if err := storage.CheckList(prefix, limit); err != nil {
		return nil, false, err
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	if after != "" {
		in.StartAfter = aws.String(after)
	}
	keys, more, err := storage.ListPages(limit, func(maxKeys int) ([]string, bool, error) {
		in.MaxKeys = aws.Int32(int32(maxKeys))
		out, err := s.client.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, false, err
		}
		page := make([]string, 0, len(out.Contents))
		for _, o := range out.Contents {
			page = append(page, aws.ToString(o.Key))
		}
		truncated := aws.ToBool(out.IsTruncated)
		if truncated {
			if aws.ToString(out.NextContinuationToken) == "" {
				return nil, false, errors.New("a truncated answer without a continuation token")
			}
			in.ContinuationToken = out.NextContinuationToken
		}
		return page, truncated, nil
	})
	if err != nil {
		return nil, false, wrap(ctx, "list", prefix, err)
	}
	return keys, more, nil
}

// PutMedia writes (or replaces) a media object. size must be known: S3 needs the
// length up front, and over plain HTTP (a local S3-compatible server) also a body it
// can rewind, such as a bytes.Reader or an *os.File.
func (s *Store) PutMedia(ctx context.Context, key string, body io.Reader, size int64, contentType string) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("s3store: put media %q: size is unknown", key)
	}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               aws.String(s.bucket),
		Key:                  aws.String(key),
		Body:                 body,
		ContentLength:        aws.Int64(size),
		ContentType:          aws.String(contentType),
		ServerSideEncryption: s.sse,
		SSEKMSKeyId:          s.kmsKeyID,
	})
	if err != nil {
		return wrap(ctx, "put media", key, err)
	}
	return nil
}

// MediaURL returns a presigned GET URL for key, valid for ttl. With temporary role
// credentials (Lambda), the link also dies when the session token that signed it expires.
func (s *Store) MediaURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := storage.CheckKey(key); err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > MaxMediaTTL {
		return "", fmt.Errorf("s3store: media link lifetime %v is outside (0, %v]", ttl, MaxMediaTTL)
	}
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", wrap(ctx, "presign", key, err)
	}
	return req.URL, nil
}

// responseOf returns the HTTP status and S3 error code of a failed call, zero if the
// call got no answer.
func responseOf(err error) (status int, code string) {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	return status, code
}

// wrap adds the operation and key to an error that is not one of core's answers. When
// the caller's context ended, that is the cause worth matching with errors.Is, whatever
// the SDK made of it.
func wrap(ctx context.Context, op, key string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("s3store: %s %q: %w: %w", op, key, cerr, err)
	}
	return fmt.Errorf("s3store: %s %q: %w", op, key, err)
}
