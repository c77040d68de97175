//go:build !scf

package platform

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// This file is the Lambda runtime: in every build but the SCF one (-tags scf).

// runLambda hands the event loop to aws-lambda-go. Its Start never returns, so it
// runs in its own goroutine and Run returns when ctx is done (the process then
// exits, which is what Lambda expects after SIGTERM).
func runLambda(ctx context.Context, a *adapter, _ Options, _ func(string) string) error {
	a.logger.InfoContext(ctx, "runtime selected", "runtime", string(Lambda))
	// Invocations must not be cancelled by a shutdown signal in the middle of an
	// event, so their base context keeps ctx's values but not its cancellation;
	// each one gets its deadline from the Runtime API.
	go lambda.StartWithOptions(lambdaHandler{a}, lambda.WithContext(context.WithoutCancel(ctx)))
	<-ctx.Done()
	return nil
}

// lambdaRequestID is the request id aws-lambda-go puts in an invocation's context.
func lambdaRequestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

// lambdaHandler implements lambda.Handler on raw event bytes, so one function
// answers whichever gateway shape arrives.
type lambdaHandler struct {
	a *adapter
}

// restRequest is the part of an API Gateway REST event (payload 1.0,
// events.APIGatewayProxyRequest) the adapter reads. Decoding into aws-lambda-go's whole
// type, request context, authorizer and all, costs about 0.2 ms more at a function's
// first request, while encoding/json learns the type.
type restRequest struct {
	HTTPMethod                      string              `json:"httpMethod"`
	Path                            string              `json:"path"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	Body                            string              `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
	RequestContext                  struct {
		DomainName string `json:"domainName"`
		Identity   struct {
			SourceIP string `json:"sourceIp"`
		} `json:"identity"`
	} `json:"requestContext"`
}

// httpAPIRequest is the part of an HTTP API (payload 2.0) or Function URL event
// (events.APIGatewayV2HTTPRequest) the adapter reads; see restRequest.
type httpAPIRequest struct {
	RawPath         string            `json:"rawPath"`
	RawQueryString  string            `json:"rawQueryString"`
	Cookies         []string          `json:"cookies"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  struct {
		DomainName string `json:"domainName"`
		HTTP       struct {
			Method   string `json:"method"`
			Path     string `json:"path"`
			SourceIP string `json:"sourceIp"`
		} `json:"http"`
	} `json:"requestContext"`
}

// lambdaProbe holds the few fields that tell the event shapes apart.
type lambdaProbe struct {
	Version        string `json:"version"`
	HTTPMethod     string `json:"httpMethod"`
	RequestContext struct {
		HTTP struct {
			Method string `json:"method"`
		} `json:"http"`
	} `json:"requestContext"`
	// Source and DetailType mark the CloudWatch scheduled event of an EventBridge rule.
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
}

// Invoke decodes an API Gateway REST (payload 1.0), HTTP API (payload 2.0) or
// Function URL event, serves it, and answers the matching response shape. Any other
// JSON event is a scheduled event: it runs the adapter's Scheduled function, or, for a
// function without one, is returned as an error, as is anything that is not JSON.
func (h lambdaHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if !json.Valid(payload) {
		return nil, errUnsupportedEvent
	}
	// A schedule's Input may be any JSON value, so a payload that does not decode into
	// the probe (a string, an array) is simply not an HTTP event.
	var probe lambdaProbe
	_ = json.Unmarshal(payload, &probe)
	var id string
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		id = lc.AwsRequestID
	}
	switch {
	case probe.RequestContext.HTTP.Method != "" || strings.HasPrefix(probe.Version, "2."):
		return json.Marshal(h.serveV2(ctx, id, payload))
	case probe.HTTPMethod != "":
		return json.Marshal(h.serveV1(ctx, id, payload))
	case h.a.scheduled != nil:
		trigger := "event" // an EventBridge Scheduler schedule's Input, or any other event
		if probe.Source == "aws.events" && probe.DetailType == "Scheduled Event" {
			trigger = "eventbridge-rule"
		}
		return h.a.runScheduled(ctx, id, trigger)
	}
	return nil, errUnsupportedEvent
}

func (h lambdaHandler) serveV1(ctx context.Context, id string, payload []byte) events.APIGatewayProxyResponse {
	if len(payload) > MaxEventSize {
		return v1Response(tooLarge())
	}
	var ev restRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return v1Response(errorResponse(http.StatusBadRequest, "invalid_request", "The request could not be read."))
	}
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return v1Response(errorResponse(http.StatusBadRequest, "invalid_request", "The request body could not be read."))
	}

	header := http.Header{}
	if len(ev.MultiValueHeaders) > 0 {
		for k, vs := range ev.MultiValueHeaders {
			for _, v := range vs {
				header.Add(k, v)
			}
		}
	} else {
		for k, v := range ev.Headers {
			header.Set(k, v)
		}
	}
	query := url.Values{}
	if len(ev.MultiValueQueryStringParameters) > 0 {
		for k, vs := range ev.MultiValueQueryStringParameters {
			query[k] = append(query[k], vs...)
		}
	} else {
		for k, v := range ev.QueryStringParameters {
			query.Set(k, v)
		}
	}
	// REST API hands over path and query decoded; escape them again so the
	// handler sees a request line like any HTTP server's.
	target := (&url.URL{Path: ev.Path}).EscapedPath()
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	host := cmp.Or(header.Get("Host"), ev.RequestContext.DomainName)
	return v1Response(h.a.serveEvent(ctx, httpEvent{
		method:   ev.HTTPMethod,
		target:   target,
		host:     host,
		header:   header,
		body:     body,
		clientIP: ev.RequestContext.Identity.SourceIP,
		id:       id,
	}))
}

// v1Response encodes for REST APIs: single-valued headers in Headers, and
// Set-Cookie (or any header the handler gave several values) only in
// MultiValueHeaders, never comma-joined. The two maps never share a key, so API
// Gateway's merge of them cannot duplicate a value, and neither is nil: a null
// map is a "Malformed Lambda proxy response".
func v1Response(r eventResponse) events.APIGatewayProxyResponse {
	out := events.APIGatewayProxyResponse{
		StatusCode:        r.status,
		Headers:           map[string]string{},
		MultiValueHeaders: map[string][]string{},
	}
	for k, vs := range r.header {
		if len(vs) == 1 && k != "Set-Cookie" {
			out.Headers[k] = vs[0]
		} else if len(vs) > 0 {
			out.MultiValueHeaders[k] = append([]string(nil), vs...)
		}
	}
	out.Body, out.IsBase64Encoded = encodeBody(r.header.Get("Content-Type"), r.body)
	return out
}

func (h lambdaHandler) serveV2(ctx context.Context, id string, payload []byte) events.LambdaFunctionURLResponse {
	if len(payload) > MaxEventSize {
		return v2Response(tooLarge())
	}
	// HTTP API payload 2.0 and Function URL events share this shape; only the
	// request context differs in fields the adapter does not use.
	var ev httpAPIRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return v2Response(errorResponse(http.StatusBadRequest, "invalid_request", "The request could not be read."))
	}
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return v2Response(errorResponse(http.StatusBadRequest, "invalid_request", "The request body could not be read."))
	}
	header := http.Header{}
	for k, v := range ev.Headers {
		header.Set(k, v)
	}
	// Payload 2.0 moves the Cookie header into cookies[]; put it back.
	if len(ev.Cookies) > 0 {
		header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	target := ev.RawPath
	if target == "" {
		target = ev.RequestContext.HTTP.Path
	}
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	host := cmp.Or(header.Get("Host"), ev.RequestContext.DomainName)
	return v2Response(h.a.serveEvent(ctx, httpEvent{
		method:   ev.RequestContext.HTTP.Method,
		target:   target,
		host:     host,
		header:   header,
		body:     body,
		clientIP: ev.RequestContext.HTTP.SourceIP,
		id:       id,
	}))
}

// v2Response encodes for HTTP APIs and Function URLs: Set-Cookie values go to
// cookies[] one by one (comma-joining them would corrupt cookies with an Expires
// date); other repeated headers are comma-joined, which HTTP allows for them.
func v2Response(r eventResponse) events.LambdaFunctionURLResponse {
	out := events.LambdaFunctionURLResponse{
		StatusCode: r.status,
		Headers:    map[string]string{},
		Cookies:    []string{},
	}
	for k, vs := range r.header {
		if k == "Set-Cookie" {
			out.Cookies = append(out.Cookies, vs...)
			continue
		}
		if len(vs) > 0 {
			out.Headers[k] = strings.Join(vs, ", ")
		}
	}
	out.Body, out.IsBase64Encoded = encodeBody(r.header.Get("Content-Type"), r.body)
	return out
}
