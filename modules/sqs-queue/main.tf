locals {
  suffix   = var.fifo_queue ? ".fifo" : ""
  name     = "${var.project}-${var.environment}-${var.name}${local.suffix}"
  dlq_name = "${var.project}-${var.environment}-${var.name}-dlq${local.suffix}"

  tags = merge(var.tags, {
    ManagedBy        = "tfpilot"
    TfPilotRequestId = var.request_id
    Project          = var.project
    Environment      = var.environment
  })

  # SSE-SQS and SSE-KMS are mutually exclusive; exactly one of them is always on.
  sqs_managed_sse_enabled = var.kms_key_arn == null ? true : null
  kms_reuse_seconds       = var.kms_key_arn == null ? null : 300
}

resource "aws_sqs_queue" "dead_letter" {
  count = var.dead_letter_queue_enabled ? 1 : 0

  name                              = local.dlq_name
  fifo_queue                        = var.fifo_queue
  message_retention_seconds         = 1209600
  sqs_managed_sse_enabled           = local.sqs_managed_sse_enabled
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.kms_reuse_seconds
  tags                              = local.tags
}

resource "aws_sqs_queue" "this" {
  name                              = local.name
  fifo_queue                        = var.fifo_queue
  content_based_deduplication       = var.fifo_queue ? var.content_based_deduplication : null
  visibility_timeout_seconds        = var.visibility_timeout_seconds
  message_retention_seconds         = var.message_retention_seconds
  delay_seconds                     = var.delay_seconds
  receive_wait_time_seconds         = var.receive_wait_time_seconds
  sqs_managed_sse_enabled           = local.sqs_managed_sse_enabled
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.kms_reuse_seconds

  redrive_policy = var.dead_letter_queue_enabled ? jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter[0].arn
    maxReceiveCount     = var.max_receive_count
  }) : null

  tags = local.tags
}

# Only this module's queue may use the dead-letter queue as its redrive target.
resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  count = var.dead_letter_queue_enabled ? 1 : 0

  queue_url = aws_sqs_queue.dead_letter[0].url
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}
