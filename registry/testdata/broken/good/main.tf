variable "project" {
  description = "Project."
  type        = string
}
variable "environment" {
  description = "Environment."
  type        = string
}
variable "request_id" {
  description = "Request."
  type        = string
}
variable "name" {
  description = "Bucket name."
  type        = string
}
resource "aws_s3_bucket" "this" {
  bucket = "${var.project}-${var.environment}-${var.name}"
  tags   = { ManagedBy = "tfpilot", TfPilotRequestId = var.request_id, Project = var.project, Environment = var.environment }
}
