// Command coslifecycle gives facegate's COS session bucket its lifecycle rule: every
// object (session records, results, media, uploaded compare images) expires a few
// days after it was written, so personal data does not outlive its use. The
// Serverless Cloud Framework's cos component creates the bucket but cannot set
// lifecycle rules, so `make deploy-scf` runs this after it.
//
//	go run ./deploy/coslifecycle -bucket facegate-sessions-1250000000 -region ap-singapore
//
// Settings and credentials come from the environment, or else from the .env file that
// `scf deploy` reads too (-env-file): TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY,
// or TENCENT_SECRET_ID / TENCENT_SECRET_KEY (and TENCENT_TOKEN after `scf login`) as
// the scf CLI spells them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/tencentyun/cos-go-sdk-v5"

	"github.com/facegate/facegate/cmd/local/stack"
)

// defaultDays matches the sessions' lifetime (pkg/core DefaultSessionTTL, 72 h) and
// Tencent's 3-day result window; a test keeps them equal.
const defaultDays = 3

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "coslifecycle:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, procenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("coslifecycle", flag.ContinueOnError)
	envFile := fs.String("env-file", ".env", "KEY=VALUE file read for settings the environment lacks (the scf CLI's .env)")
	bucket := fs.String("bucket", "", "bucket as <name>-<appid> (default $FACEGATE_COS_BUCKET)")
	region := fs.String("region", "", "bucket region, e.g. ap-singapore (default $FACEGATE_SCF_REGION)")
	days := fs.Int("days", defaultDays, "days after which objects expire")
	endpoint := fs.String("endpoint", "", "bucket URL override (tests); the Host header stays the production one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	file, err := stack.ReadEnvFile(*envFile)
	if err != nil {
		return err
	}
	getenv := stack.EnvFunc(procenv, file)
	if *bucket == "" {
		*bucket = getenv("FACEGATE_COS_BUCKET")
	}
	if *region == "" {
		*region = getenv("FACEGATE_SCF_REGION")
	}
	if *bucket == "" || *region == "" {
		return errors.New("-bucket and -region are required")
	}
	if *days < 1 {
		return errors.New("-days must be at least 1")
	}
	id, key, token := getenv("TENCENTCLOUD_SECRET_ID"), getenv("TENCENTCLOUD_SECRET_KEY"), getenv("TENCENTCLOUD_SESSIONTOKEN")
	if id == "" || key == "" {
		id, key, token = getenv("TENCENT_SECRET_ID"), getenv("TENCENT_SECRET_KEY"), getenv("TENCENT_TOKEN")
	}
	if id == "" || key == "" {
		return errors.New("credentials missing: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (or TENCENT_SECRET_ID and TENCENT_SECRET_KEY)")
	}

	bucketURL, err := cos.NewBucketURL(*bucket, *region, true)
	if err != nil {
		return err
	}
	host := bucketURL.Host
	if *endpoint != "" {
		if bucketURL, err = url.Parse(*endpoint); err != nil {
			return fmt.Errorf("-endpoint: %w", err)
		}
	}
	client := cos.NewClient(&cos.BaseURL{BucketURL: bucketURL}, &http.Client{
		Timeout:   30 * time.Second,
		Transport: &cos.AuthorizationTransport{SecretID: id, SecretKey: key, SessionToken: token},
	})
	client.Host = host

	_, err = client.Bucket.PutLifecycle(ctx, &cos.BucketPutLifecycleOptions{Rules: []cos.BucketLifecycleRule{{
		ID:                             "facegate-expire-sessions",
		Status:                         "Enabled",
		Filter:                         &cos.BucketLifecycleFilter{},
		Expiration:                     &cos.BucketLifecycleExpiration{Days: *days},
		AbortIncompleteMultipartUpload: &cos.BucketLifecycleAbortIncompleteMultipartUpload{DaysAfterInitiation: 1},
	}}})
	if err != nil {
		return fmt.Errorf("put lifecycle on %s: %w", *bucket, err)
	}
	fmt.Fprintf(stdout, "bucket %s: objects now expire after %d days\n", *bucket, *days)
	return nil
}
