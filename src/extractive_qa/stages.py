"""The machine stages of the default run, in the order they run: CPU work
before training, the GPU work, CPU work after it. Each node carries exactly one
of them as a tag, and each is a registered pipeline (``--pipelines=train``)."""

STAGES = ("prepare", "train", "report")
