import pytest
import torch

from strl.backbones.pointnet2 import VoteNetBackbone
from strl.detection.votenet import SCANNET, SUNRGBD, VoteNet
from strl.models.votenet import VoteNetDetector, set_bn_momentum, votenet_bn_momentum

SMALL = (32, 16, 8, 4)
pytestmark = pytest.mark.usefixtures("one_thread")  # small tensors through many small ops


@torch.no_grad()
def test_detector_is_votenet_around_the_encoder_with_votenets_keys():
    torch.manual_seed(0)
    encoder = VoteNetBackbone()
    detector = VoteNetDetector(encoder, SUNRGBD, num_proposal=8, npoints=SMALL).eval()
    assert detector.encoder is encoder and encoder.npoints == SMALL
    state = detector.downstream_state_dict()
    reference = VoteNet(SUNRGBD)  # VoteNet's default structure: 2048/1024/512/256 samples, 256 proposals
    assert list(state) == list(reference.state_dict()) and len(state) == 146
    reference.load_state_dict(state)  # strict
    reference.backbone_net.set_sample_counts(SMALL)
    reference.pnet.num_proposal = reference.pnet.vote_aggregation.npoint = 8
    points = torch.rand(2, 100, 3) * 3
    ours, theirs = detector(points), reference.eval()(points)
    for key in ("center", "objectness_scores", "heading_scores", "size_residuals", "sem_cls_scores"):
        torch.testing.assert_close(ours[key], theirs[key], msg=key)
    assert set(detector.encoder_parameters()) == set(encoder.parameters())
    assert len(detector.head_parameters()) == len(list(detector.parameters())) - len(list(encoder.parameters()))


def test_height_model_exports_to_votenets_default_with_height():
    detector = VoteNetDetector(VoteNetBackbone(), SCANNET, npoints=SMALL, num_proposal=8, use_height=True)
    VoteNet(SCANNET, input_feature_dim=1).load_state_dict(detector.downstream_state_dict())
    with pytest.raises(TypeError, match="VoteNetBackbone"):
        VoteNetDetector(torch.nn.Linear(3, 3), SCANNET)


def test_votenets_bn_momentum_schedule():
    assert [votenet_bn_momentum(e, 20) for e in (0, 19, 20, 40, 159, 160, 400)] == [
        0.5, 0.5, 0.25, 0.125, 0.5 * 0.5**7, 0.5 * 0.5**8, 0.001]
    net = VoteNet(SCANNET, npoints=SMALL, num_proposal=8)
    set_bn_momentum(net, 0.25)
    norms = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    assert len(norms) == 23 and all(m.momentum == 0.25 for m in norms)
