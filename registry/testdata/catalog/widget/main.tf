locals {
  suffix = var.fifo ? ".fifo" : ""
  name   = "${var.project}-${var.environment}-${var.name}${local.suffix}"
  tags = merge(var.tags, {
    ManagedBy        = "tfpilot"
    TfPilotRequestId = var.request_id
    Project          = var.project
    Environment      = var.environment
  })
}

resource "aws_sqs_queue" "dead_letter" {
  count = var.mode == "bulk" ? 0 : 1
  name  = "${var.project}-${var.environment}-${var.name}-dlq${local.suffix}"
  tags  = local.tags
}

resource "aws_sqs_queue" "this" {
  name       = local.name
  fifo_queue = var.fifo
  tags       = local.tags
}
