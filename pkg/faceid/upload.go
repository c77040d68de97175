package faceid

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// actionUpload names the upload in errors; it is not a Tencent API action.
const actionUpload = "Upload"

// Upload PUTs image to a CreateUploadUrl UploadUrl and returns its MD5 as 32 lower-case
// hex (for CompareImageMd5). The image must be a JPEG, PNG or BMP; it is sent with
// Content-MD5 so the storage refuses a corrupted upload. A 4xx answer is
// KindBadParameter (an expired or wrong URL, a refused image), anything else
// KindUnavailable. Errors never quote the URL, which is a presigned credential.
func (c *Client) Upload(ctx context.Context, uploadURL string, image []byte) (md5hex string, err error) {
	u, err := url.Parse(uploadURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", &ValidationError{Field: "uploadURL", Reason: "must be the absolute UploadUrl of CreateUploadUrl"}
	}
	contentType := ImageType(image)
	if contentType == "" {
		return "", &ValidationError{Field: "image", Reason: "not a JPEG, PNG or BMP image"}
	}
	sum := md5.Sum(image)

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, bytes.NewReader(image))
	if err != nil {
		return "", &ValidationError{Field: "uploadURL", Reason: "not usable for a request"}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))

	resp, err := c.uploader.Do(req)
	if err != nil {
		return "", &Error{Kind: KindUnavailable, Action: actionUpload, Message: "network failure", Err: causeOnly(err)}
	}
	defer resp.Body.Close()
	// Drain a little so the connection can be reused; the body itself is not needed.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		kind := KindUnavailable
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			kind = KindBadParameter
		}
		return "", &Error{
			Kind:    kind,
			Action:  actionUpload,
			Code:    fmt.Sprintf("HTTP%d", resp.StatusCode),
			Message: fmt.Sprintf("upload answered HTTP status %d", resp.StatusCode),
		}
	}
	return hex.EncodeToString(sum[:]), nil
}
