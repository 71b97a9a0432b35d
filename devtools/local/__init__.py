"""The local stack: template.yaml deployed into an in-process moto server, and the parts of AWS
that moto does not run (API Gateway, the schedule, the SQS event source mapping, EventBridge
delivery to functions) emulated in this process around the real handlers.

    python -m devtools.local          (make run)   the stack, in the foreground
    python -m devtools.local.demo     (make demo)  seed a demo firm into a running stack
    python -m devtools.local.tick AT  (make tick)  move the running stack's clock and scan
    python -m devtools.local.openapi  (make openapi) write openapi.json

See docs/local-stack.md.
"""
