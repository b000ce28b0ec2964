variable "project" {
  description = "Project."
  type        = string
}

variable "request_id" {
  type = string
}

variable "name" {
  description = "Name."
  type        = string
}

output "arn" {
  value = aws_kms_key.this.arn
}

resource "aws_kms_key" "this" {
  description = "key"
}

resource "aws_sqs_queue" "this" {
  name = var.name
  tags = { Project = var.project }
}

resource "aws_sqs_queue_policy" "this" {
  queue_url = aws_sqs_queue.this.url
  policy    = "{}"
}
