package core

import (
	"context"

	"github.com/facegate/facegate/pkg/faceid"
)

// legacyFlow is the upload-URL flow of older accounts: CreateUploadUrl, a PUT of the
// compare image, ApplyWebVerificationToken, then GetWebVerificationResult. It has no page
// options and always compares against the uploaded photo.
type legacyFlow struct{ s *Service }

func (legacyFlow) choose(p *plan) error {
	o := p.opts
	// The upload-URL flow has no page options; refuse rather than silently ignore them.
	for _, f := range []struct {
		name string
		set  bool
	}{{"lang", o.Language != ""}, {"mode", o.Mode != 0}, {"documentType", o.DocumentType != ""}, {"ruleId", o.RuleID != ""}} {
		if f.set {
			return errorf(CodeInvalidOption, "%s is not available with the legacy verification flow.", f.name)
		}
	}
	// The upload-URL flow compares against the uploaded photo; it has no liveness-only mode.
	if o.CompareImage == "" && o.CompareImageKey == "" {
		return errorf(CodeInvalidOption, "The legacy verification flow needs a compare image (compareImage or compareImageKey).")
	}
	return nil
}

func (legacyFlow) prepare(p *plan) error {
	image := p.image.bytes
	if p.image.b64 != "" {
		var err error
		if image, err = faceid.DecodeCompareImage(p.image.b64); err != nil {
			return validationError(err)
		}
	} else if faceid.ImageType(image) == "" {
		return errorf(CodeInvalidImage, msgInvalidImage)
	}
	p.upload = image
	return nil
}

func (f legacyFlow) apply(ctx context.Context, p *plan) (token, verifyURL string, err error) {
	up, err := f.s.faceID.CreateUploadUrl(ctx, faceid.ActionApplyWebVerificationToken)
	if err != nil {
		return "", "", applyError(err)
	}
	md5hex, err := f.s.faceID.Upload(ctx, up.UploadUrl, p.upload)
	if err != nil {
		return "", "", applyError(err)
	}
	req := &faceid.ApplyWebVerificationTokenRequest{
		RedirectUrl:     f.s.cfg.CallbackURL,
		CompareImageUrl: up.ResourceUrl,
		CompareImageMd5: md5hex,
	}
	if err := req.Validate(); err != nil {
		return "", "", validationError(err)
	}
	resp, err := f.s.faceID.ApplyWebVerificationToken(ctx, req)
	if err != nil {
		return "", "", applyError(err)
	}
	return checkApplied(resp.BizToken, resp.VerificationUrl)
}

func (f legacyFlow) read(ctx context.Context, token string) (reading, error) {
	resp, err := f.s.faceID.GetWebVerificationResult(ctx, token)
	if err != nil {
		return reading{}, err
	}
	return reading{outcome: Interpret(resp.ErrorCode), details: resp.VerificationDetailList}, nil
}
