"""Batch frames: several encoded frames in one, as clients take them apart."""

import json

from chatapp.websocket.commands import BATCH_MAX_CHARS, batch_frames
from chatapp.websocket.testing import frames_in


def items(texts: list[str]) -> list:
    """What a client reads from these frames, batches taken apart."""
    return [item for text in texts for item in frames_in(text)]


def test_several_frames_become_one_batch_that_reads_back_the_same():
    frames = ['{"n":1}', '[["alert","hi"]]', '{"n":"\\u00e9"}']
    (batch,) = batch_frames(frames)
    assert json.loads(batch) == {"batch": [{"n": 1}, [["alert", "hi"]], {"n": "é"}]}


def test_one_frame_goes_as_it_is_and_none_makes_no_frame():
    assert batch_frames(['{"n":1}']) == ['{"n":1}']
    assert batch_frames([]) == []


def test_batches_stay_within_the_size_a_client_accepts_and_keep_the_order():
    big = json.dumps({"text": "x" * (BATCH_MAX_CHARS // 3)})
    huge = json.dumps({"text": "y" * BATCH_MAX_CHARS})
    frames = [big, big, big, huge, '{"n":1}', '{"n":2}']
    sent = batch_frames(frames)
    assert items(sent) == [json.loads(f) for f in frames]
    assert [len(s) <= BATCH_MAX_CHARS for s in sent] == [True, True, False, True]
    assert sent[2] == huge  # too long for any batch: alone, as it would have gone
