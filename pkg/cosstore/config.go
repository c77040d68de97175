package cosstore

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tencentyun/cos-go-sdk-v5"
)

// Config is what a deployment says about its bucket; the wiring fills it from the
// environment (FACEGATE_COS_BUCKET, FACEGATE_COS_REGION, ...).
type Config struct {
	// Bucket is the full bucket name, "<name>-<appid>". Required.
	Bucket string
	// Region is the bucket's region, such as "ap-singapore". Required unless BaseURL is set.
	Region string
	// BaseURL overrides the bucket URL https://<Bucket>.cos.<Region>.myqcloud.com, for
	// a private endpoint or a test server.
	BaseURL string
	// Host overrides the Host header (the SDK is virtual-host only: the host names the
	// bucket). Tests set it to the production host while BaseURL points at loopback.
	Host string
	// SSE is as in Options.
	SSE string
	// MaxAttempts bounds how often one call is sent (first try included); 0 means 3.
	MaxAttempts int
}

// validBucket reports whether name is "<name>-<appid>": lower-case letters, digits and
// hyphens, starting with a letter or digit, ending in a hyphen and the digits of the
// APPID.
func validBucket(name string) bool {
	i := strings.LastIndexByte(name, '-')
	if i < 1 || i == len(name)-1 || name[0] == '-' {
		return false
	}
	for j := 0; j < len(name); j++ {
		c := name[j]
		digit := '0' <= c && c <= '9'
		switch {
		case j > i && !digit:
			return false
		case j < i && !digit && !('a' <= c && c <= 'z') && c != '-':
			return false
		}
	}
	return true
}

// validRegion reports whether region can name a COS region in a host name: lower-case
// letters, hyphens and the digit 1 (ap-singapore, ap-shanghai-fsi), the characters the
// SDK's NewBucketURL allows.
func validRegion(region string) bool {
	if region == "" {
		return false
	}
	for j := 0; j < len(region); j++ {
		if c := region[j]; !('a' <= c && c <= 'z') && c != '-' && c != '1' {
			return false
		}
	}
	return true
}

// NewFromConfig builds the COS client and the Store. Every request is signed with the
// credentials creds returns at that moment (on SCF, the execution role's current keys);
// base carries the requests (http.DefaultTransport when nil).
func NewFromConfig(cfg Config, creds CredentialFunc, base http.RoundTripper) (*Store, error) {
	if !validBucket(cfg.Bucket) {
		return nil, fmt.Errorf("cosstore: bucket %q is not \"<name>-<appid>\" (FACEGATE_COS_BUCKET)", cfg.Bucket)
	}
	if creds == nil {
		return nil, errors.New("cosstore: no CredentialFunc")
	}
	var bucketURL *url.URL
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("cosstore: BaseURL %q is not an http(s) URL without a path", cfg.BaseURL)
		}
		bucketURL = u
	} else {
		if cfg.Region == "" {
			return nil, errors.New("cosstore: region is not set (FACEGATE_COS_REGION)")
		}
		// The SDK's NewBucketURL builds this same URL, but through text/template, whose
		// reflective method calls keep every exported method of the binary from the
		// linker's dead-code elimination.
		if !validRegion(cfg.Region) {
			return nil, fmt.Errorf("cosstore: region %q (FACEGATE_COS_REGION) is not a COS region such as ap-singapore", cfg.Region)
		}
		bucketURL = &url.URL{Scheme: "https", Host: cfg.Bucket + ".cos." + cfg.Region + ".myqcloud.com"}
	}
	attempts := cfg.MaxAttempts
	if attempts <= 0 {
		attempts = 3
	}
	client := cos.NewClient(&cos.BaseURL{BucketURL: bucketURL}, &http.Client{
		Transport: &Transport{Credentials: creds, Base: base},
	})
	client.Host = cfg.Host
	client.Conf.RetryOpt.Count = attempts
	return New(client, Options{SSE: cfg.SSE})
}
