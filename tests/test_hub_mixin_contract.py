"""huggingface_hub's ModelHubMixin contract, held by `CycleGAN` and `CAAE`: the checks of
huggingface_hub's own tests/test_hub_mixin.py that apply to a model whose constructor takes
networks rather than plain values, written against our classes and the fake Hub.

Left out on purpose, as the mixin's `config` argument is not ours to take (config.json is the
model's own; hub.hub_model): the tests of configs passed as dicts or dataclasses, of custom
coders and of dataclass models, which serialise constructor arguments into config.json."""

import json
import re
from unittest import mock

import pytest
import yaml
from huggingface_hub.errors import HFValidationError

from hub import CAAE, CycleGAN, model_folder, onnx_runtime
from tests.helpers import tiny_models


def metadata(card_text):
    return yaml.safe_load(card_text.split("---")[1])


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    saved = tmp_path_factory.mktemp("mixin") / "cyclegan"
    tiny_models.without_onnx(tiny_models.cyclegan()).save_pretrained(saved)
    return saved


class Branded(CycleGAN, repo_url="https://example.org/code", paper_url="https://arxiv.org/abs/1703.10593",
              docs_url="https://example.org/docs", license="apache-2.0", language=["en"], tags=["x-custom"],
              library_name="my-library"):
    pass


class BrandedAgain(Branded):  # the mixin's options are inherited
    pass


class WithStrength(CycleGAN):
    def __init__(self, *args, strength=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.strength = strength


def test_a_subclass_loads_its_parents_folders(folder):
    class MyCycleGAN(CycleGAN):
        pass

    class MyCAAE(CAAE):
        pass

    model = MyCycleGAN.from_pretrained(folder, runtime="keras")
    assert isinstance(model, MyCycleGAN) and model.config["architecture"] == "cyclegan"
    with pytest.raises(model_folder.ModelFolderError, match="says architecture 'cyclegan', not 'caae'"):
        MyCAAE.from_pretrained(folder, runtime="keras")


def test_class_options_reach_the_card_and_are_inherited(folder):
    for cls in (Branded, BrandedAgain):
        card = cls.from_pretrained(folder, runtime="keras").generate_model_card()
        meta = metadata(str(card))
        assert meta["license"] == "apache-2.0" and meta["language"] == ["en"]
        assert meta["library_name"] == "my-library"
        assert {"x-custom", "model_hub_mixin", "cyclegan", "keras"} <= set(meta["tags"])
        for label, url in (("Code", "https://example.org/code"), ("Paper", "https://arxiv.org/abs/1703.10593"),
                           ("Documentation", "https://example.org/docs")):
            assert f"{label}: <{url}>" in str(card)
    assert BrandedAgain._hub_mixin_info.repo_url == "https://example.org/code"


def test_a_class_template_gets_the_cards_variables_and_model_card_kwargs(folder, tmp_path):
    class Templated(CycleGAN, model_card_template="---\n{{ card_data }}\n---\n# {{ title }}\n{{ note }}\n{{ repo_url }}\n"):
        pass

    class Linked(Templated, repo_url="https://example.org/code"):
        pass

    Linked.from_pretrained(folder, runtime="keras").save_pretrained(tmp_path / "out", model_card_kwargs={"note": "hi"})
    card = (tmp_path / "out" / "README.md").read_text()
    assert "# CycleGAN: 3d <-> 2d\nhi\nhttps://example.org/code" in card
    assert metadata(card)["license"] == "cc-by-nc-4.0"  # our licence rule where the class sets none


def test_from_pretrained_passes_model_kwargs_on_and_revision_through(folder):
    assert WithStrength.from_pretrained(folder, runtime="keras", strength=0.5).strength == 0.5
    with pytest.raises(TypeError, match="unexpected keyword argument 'strenght'"):  # as the mixin's would
        CycleGAN.from_pretrained(folder, runtime="keras", strenght=0.5)
    with mock.patch.object(CycleGAN, "_from_pretrained") as loader:
        assert CycleGAN.from_pretrained("namespace/repo_name", revision="123456789") is loader.return_value
    loader.assert_called_once_with(model_id="namespace/repo_name", revision="123456789", cache_dir=None,
                                   force_download=False, local_files_only=False, token=None, runtime="auto",
                                   providers=None)


def test_retired_download_arguments_warn_and_load(folder):
    for legacy in ({"resume_download": True}, {"proxies": {"https": "http://proxy"}}):
        with pytest.warns(FutureWarning, match="no longer used by huggingface_hub and is ignored"):
            assert CycleGAN.from_pretrained(folder, runtime="keras", **legacy).config["image_size"] == 32


def test_relative_and_string_paths_load(folder, monkeypatch):
    monkeypatch.chdir(folder.parent)
    for path in (folder.name, str(folder), folder):
        assert CycleGAN.from_pretrained(path, runtime="keras").config["image_size"] == 32


def test_a_model_built_in_code_has_a_card_before_any_save():
    model = tiny_models.cyclegan()
    card = str(model.generate_model_card())
    assert "# CycleGAN: 3d <-> 2d" in card
    # what the save will write, ONNX included where it can export
    assert ("generator_a2b.onnx" in card) == ("onnx" in metadata(card)["tags"]) == onnx_runtime.can_export()


def test_an_old_config_json_in_the_folder_is_replaced_and_config_warns(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "config.json").write_text(json.dumps({"something_legacy": 123}))
    with pytest.warns(UserWarning, match="config= is not used"):
        tiny_models.without_onnx(tiny_models.cyclegan()).save_pretrained(tmp_path / "out", config={"foo": 1})
    saved = json.loads((tmp_path / "out" / "config.json").read_text())
    assert saved["architecture"] == "cyclegan" and "something_legacy" not in saved and "foo" not in saved


@pytest.mark.slow
def test_push_resolves_the_namespace_and_returns_the_commit_info(fake_hub, tmp_path):
    model = tiny_models.without_onnx(tiny_models.cyclegan())
    commit = model.push_to_hub("bare-name")
    assert commit.repo_url.repo_id == "ana/bare-name" and re.fullmatch(r"[0-9a-f]{40}", commit.oid)
    assert commit == commit.commit_url and commit.pr_url is None
    assert fake_hub.commit_messages == ["Push model using huggingface_hub."]  # the mixin's default
    assert fake_hub.requests.count(("POST", "/api/repos/create")) == 1
    assert 'CycleGAN.from_pretrained("ana/bare-name")' in fake_hub.files("ana/bare-name")["README.md"].decode()
    # save_pretrained(push_to_hub=True) without a repo id: the folder's name, under the token's user
    model.save_pretrained(tmp_path / "toy-model", push_to_hub=True, commit_message="weights")
    assert "ana/toy-model" in fake_hub.repos and fake_hub.commit_messages[-1] == "weights"


@pytest.mark.slow
def test_an_invalid_repo_id_fails_before_any_work(fake_hub, monkeypatch):
    monkeypatch.setattr(model_folder, "save", mock.Mock(side_effect=AssertionError("saved before the check")))
    for repo_id in ("a/b/c", "bad name", "--x"):
        with pytest.raises(HFValidationError):
            tiny_models.cyclegan().push_to_hub(repo_id)
    assert fake_hub.requests == []


@pytest.mark.slow
def test_private_repos_need_their_owners_token(fake_hub, tmp_path, monkeypatch):
    from huggingface_hub import HfApi

    tiny_models.without_onnx(tiny_models.cyclegan()).push_to_hub("ana/secret", private=True)
    assert fake_hub.repos["ana/secret"]["private"]
    with pytest.raises(model_folder.ModelFolderError):
        CycleGAN.from_pretrained("ana/secret", token=False, cache_dir=tmp_path / "c1", runtime="keras")
    assert CycleGAN.from_pretrained("ana/secret", cache_dir=tmp_path / "c2", runtime="keras").config["image_size"] == 32
    monkeypatch.setenv("HF_TOKEN", "hf_not_a_known_token")
    with pytest.raises(Exception, match="401|Invalid credentials"):
        HfApi().create_repo("ana/another")
