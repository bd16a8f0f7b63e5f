"""Prelabel scoring for ML Assist Labeling: runs the trained AutoML object detection model over a manifest of images.

This file is data for the app: the azureml adapter (adapters/training/azureml) uploads it to the training container
beside the run ({projectId}/{runId}/scoring/score.py) and runs it as an Azure ML command job. It is not run by the
app's tests.

Inputs (command-line arguments, filled by the job from its inputs and outputs):
  --model      folder of the MLflow model (the training job's `best_model` output)
  --manifest   JSONL file, one image per line: {"taskId", "blobPath", "width", "height"}
  --images     the images datastore, mounted read-only; an image is <images>/<blobPath>
  --output     folder to write predictions to (the job's `predictions` output, in the training container)
  --part-size  images per part file (default 500)
  --batch-size images per model call (default 16)

Output: part-00000.jsonl, part-00001.jsonl, ... in --output, one line per manifest image, in manifest order:
  {"taskId": "...", "filename": "<blobPath>",
   "boxes": [{"box": {"topX": 0.1, "topY": 0.2, "bottomX": 0.5, "bottomY": 0.6}, "label": "cat", "score": 0.93}]}
The boxes are the model's output row unchanged (AutoML image models return coordinates relative to the image, origin
top-left, and a raw score). An image that cannot be read gets "boxes": [] and an "error". A part is written whole
(to a temporary name, then renamed), so a part file that exists is complete.

The environment must be able to load the AutoML MLflow model (mlflow, pandas, azureml-automl-dnn-vision): the
curated AutoML vision environment, or the conda environment shipped inside the model folder.
"""

import argparse
import base64
import json
import os
import sys

import mlflow
import pandas as pd


def read_manifest(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def image_base64(images_root, blob_path):
    with open(os.path.join(images_root, blob_path), "rb") as f:
        return base64.b64encode(f.read()).decode("ascii")


def boxes_of(row):
    boxes = row.get("boxes", [])
    # Depending on the model version a row's boxes may come back as a JSON string.
    if isinstance(boxes, str):
        boxes = json.loads(boxes)
    return boxes if isinstance(boxes, list) else []


def score_batch(model, images_root, entries):
    """Predictions for a batch, in the batch's order; unreadable images get an error instead of boxes."""
    results = [None] * len(entries)
    readable = []
    for i, entry in enumerate(entries):
        try:
            readable.append((i, image_base64(images_root, entry["blobPath"])))
        except OSError as err:
            results[i] = {"boxes": [], "error": f"cannot read image: {err}"}
    if readable:
        frame = pd.DataFrame({"image": [data for _, data in readable]})
        output = model.predict(frame)
        for (i, _), (_, row) in zip(readable, output.iterrows()):
            results[i] = {"boxes": boxes_of(row.to_dict())}
    return results


def write_part(output_dir, index, lines):
    final = os.path.join(output_dir, f"part-{index:05d}.jsonl")
    temporary = final + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
    os.replace(temporary, final)


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--part-size", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)

    os.makedirs(args.output, exist_ok=True)
    model = mlflow.pyfunc.load_model(args.model)
    manifest = read_manifest(args.manifest)

    for part_index, start in enumerate(range(0, len(manifest), args.part_size)):
        part = manifest[start : start + args.part_size]
        lines = []
        for batch_start in range(0, len(part), args.batch_size):
            batch = part[batch_start : batch_start + args.batch_size]
            for entry, result in zip(batch, score_batch(model, args.images, batch)):
                lines.append({"taskId": entry["taskId"], "filename": entry["blobPath"], **result})
        write_part(args.output, part_index, lines)
        print(f"part {part_index}: {len(lines)} images", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
