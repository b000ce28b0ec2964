output "bucket_name" {
  description = "Bucket holding the request records and the audit log."
  value       = aws_s3_bucket.store.id
}

output "bucket_arn" {
  description = "ARN of the store bucket."
  value       = aws_s3_bucket.store.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the store; set TFPILOT_KMS_KEY_ID to it."
  value       = aws_kms_key.store.arn
}

output "store_url" {
  description = "Value for TFPILOT_STORE."
  value       = "s3://${aws_s3_bucket.store.id}/${var.store_prefix}"
}

output "bot_role_arn" {
  description = "ARN of the role the bot runs as (for example the ECS task role)."
  value       = aws_iam_role.bot.arn
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider the workflow roles trust."
  value       = local.github_oidc_provider_arn
}

output "plan_role_arns" {
  description = "Plan role ARN per environment; set it as AWS_ROLE_ARN of the GitHub environment <env>-plan."
  value       = { for env in keys(var.environments) : env => aws_iam_role.github["${env}-plan"].arn }
}

output "apply_role_arns" {
  description = "Apply role ARN per environment; set it as AWS_ROLE_ARN of the GitHub environment <env>-apply."
  value       = { for env in keys(var.environments) : env => aws_iam_role.github["${env}-apply"].arn }
}
