//go:build lambda && !scf

package app

// The AWS Lambda build (-tags lambda) carries the S3 store only, with the role's
// credentials (s3store.RoleCredentials) rather than the SDK's default chain.
var stores = map[string]storeMaker{StoreS3: newS3StoreRoleCredentials}
