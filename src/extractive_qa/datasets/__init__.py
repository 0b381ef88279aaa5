"""Custom Kedro datasets for this project."""

from extractive_qa.datasets.arrow_table import ArrowTableDataset
from extractive_qa.datasets.checkpoint_folder import CheckpointFolderDataset
from extractive_qa.datasets.hub_split import HubSplitDataset
from extractive_qa.datasets.model_directory import QAModelDataset, TokenizerDataset
from extractive_qa.datasets.question_lines import QuestionLinesDataset
from extractive_qa.datasets.squad_json import SquadJSONDataset
from extractive_qa.datasets.synthetic_korquad import SyntheticKorQuADDataset

__all__ = [
    "ArrowTableDataset",
    "CheckpointFolderDataset",
    "HubSplitDataset",
    "QAModelDataset",
    "QuestionLinesDataset",
    "SquadJSONDataset",
    "SyntheticKorQuADDataset",
    "TokenizerDataset",
]
