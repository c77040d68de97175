// Command sweep is the scheduled function of facegate: on each timer event it finishes
// the verifications whose users never came back, delivers webhooks and applies retention
// (core.Service.Sweep). It answers no HTTP request. It runs on AWS Lambda (an EventBridge
// schedule; built with -tags lambda) or as a Tencent SCF event function (a timer trigger;
// -tags scf); see pkg/platform.
package main

import "github.com/facegate/facegate/pkg/app"

// version is stamped by the build (-ldflags "-X main.version=...").
var version = "dev"

func main() { app.Main("sweep", version) }
