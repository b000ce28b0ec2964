output "role_name" {
  description = "Name of the IAM role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the IAM role, to use as an ECS task role, Lambda execution role or in policies."
  value       = aws_iam_role.this.arn
}

output "instance_profile_name" {
  description = "Name of the EC2 instance profile when trusted_service is ec2, otherwise null."
  value       = try(aws_iam_instance_profile.this[0].name, null)
}
