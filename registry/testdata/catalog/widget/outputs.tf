output "queue_url" {
  description = "URL of the queue."
  value       = aws_sqs_queue.this.url
}

output "secret" {
  description = "Something sensitive."
  value       = var.password_arn
  sensitive   = true
}
