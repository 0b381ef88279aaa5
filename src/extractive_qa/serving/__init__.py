"""The fine-tuned model as an MLflow model: questions and contexts in, answers
out, decoded with the settings saved with the model."""

from extractive_qa.serving.pyfunc import QAPyfunc, log_qa_model

__all__ = ["QAPyfunc", "log_qa_model"]
