output "queue_name" {
  description = "Name of the queue (with the .fifo suffix for a FIFO queue)."
  value       = aws_sqs_queue.this.name
}

output "queue_arn" {
  description = "ARN of the queue, for IAM policies and event source mappings."
  value       = aws_sqs_queue.this.arn
}

output "queue_url" {
  description = "URL of the queue, used by the SQS API to send and receive messages."
  value       = aws_sqs_queue.this.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue, or null when it is disabled."
  value       = try(aws_sqs_queue.dead_letter[0].arn, null)
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue, or null when it is disabled."
  value       = try(aws_sqs_queue.dead_letter[0].url, null)
}
