# The two commands of the README:
#   make demo   set up, prepare Inspec, fit (a line per epoch), test, predict; ends with the test F1 and
#               the keyphrases of one test abstract (about 8 minutes on 2 CPU cores)
#   make test   set up and run lint and the whole test suite
#   make test-fast   lint and the tests that do not train on Inspec (pytest -m "not slow"), for development
# Both start from nothing: a .venv with the CPU build of torch (pinned: an unpinned torch
# pulls a multi-GB CUDA build), then this project with its dev extras.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= ../shared/data/inspec
GLOVE ?= ../shared/data/glove/glove.6B.50d.top100k.txt.gz
TORCH ?= torch==2.13.0
WORK ?= demo

SHARED_DATA ?= ../shared/data
GENERAL ?= general

.PHONY: setup demo general test test-fast lint clean

$(BIN)/keyword-lightning: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

setup: $(BIN)/keyword-lightning

demo: setup
	mkdir -p $(WORK)
	$(BIN)/keyword-lightning-prepare --format conll --train $(DATA)/train.txt --val $(DATA)/valid.txt \
	  --test $(DATA)/test.txt --embeddings $(GLOVE) --out $(WORK)/data
	cd $(WORK) && ../$(BIN)/keyword-lightning fit --config ../configs/inspec.yaml
	cd $(WORK) && ../$(BIN)/keyword-lightning test --config ../configs/inspec.yaml --ckpt_path best --trainer.logger true
	cd $(WORK) && ../$(BIN)/keyword-lightning predict --config ../configs/inspec.yaml --ckpt_path best \
	  --data.predict_split test
	$(BIN)/python -m keyword_lightning.report $(WORK)

# The general model shipped in the package (keyword_lightning/pretrained/): the tagger trained on every English
# corpus in ../shared/data (configs/general.yaml: Inspec, SemEval-2017, KPCrowd news, KDD abstracts), its
# checkpoint chosen on the mean of each corpus's validation F1@10; the ranker fitted on the four dev splits
# (fit-ranker, GloVe's order as how common a word is); packed (float16 rows, trimmed vocabulary) with its manifest.
# A copy of the shipped file goes to models/general.ckpt, where make general of earlier releases wrote its model.
GENERAL_TRAIN = $(SHARED_DATA)/inspec/train.txt, $(SHARED_DATA)/semeval2017/train.txt, $(SHARED_DATA)/kpcrowd/train.jsonl, $(SHARED_DATA)/kdd/train.jsonl
GENERAL_DEV = $(SHARED_DATA)/inspec/valid.txt $(SHARED_DATA)/semeval2017/dev.txt $(SHARED_DATA)/kpcrowd/dev.jsonl $(SHARED_DATA)/kdd/dev.jsonl
comma := ,
general: setup
	mkdir -p $(GENERAL)
	$(BIN)/keyword-lightning-prepare --train "[$(GENERAL_TRAIN)]" --val "[$(subst $() ,$(comma) ,$(GENERAL_DEV))]" \
	  --test "[$(SHARED_DATA)/inspec/test.txt, $(SHARED_DATA)/semeval2017/test.txt]" \
	  --embeddings $(GLOVE) --out $(GENERAL)/data-general
	cd $(GENERAL) && ../$(BIN)/keyword-lightning fit --config ../configs/general.yaml
	cd $(GENERAL) && ../$(BIN)/keyword-lightning fit-ranker --ckpt_path best --documents $(foreach f,$(GENERAL_DEV),$(abspath $(f))) \
	  --common_words $(abspath $(GLOVE)) --output ranked.ckpt
	$(BIN)/python -m keyword_lightning.inference.ship $(GENERAL)/ranked.ckpt --commit "$$(git describe --always --dirty)" \
	  --command "make general"
	mkdir -p models && cp keyword_lightning/pretrained/general.ckpt models/general.ckpt
	@echo "wrote keyword_lightning/pretrained/general.ckpt and its copy models/general.ckpt"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup lint
	$(BIN)/python -m pytest -q

test-fast: setup lint
	$(BIN)/python -m pytest -q -m "not slow"

clean:
	rm -rf $(VENV) $(WORK) $(GENERAL) runs .pytest_cache
