import torch

from strl.detection.votenet.voting import VotingModule


def test_votes_are_seed_plus_offset_and_normalised_features():
    torch.manual_seed(0)
    vgen = VotingModule(vote_factor=2, seed_feature_dim=8).eval()
    seeds, feats = torch.rand(2, 5, 3), torch.randn(2, 8, 5)
    votes, vote_feats = vgen(seeds, feats)
    assert votes.shape == (2, 10, 3) and vote_feats.shape == (2, 8, 10)
    import torch.nn.functional as F

    net = vgen.conv3(F.relu(vgen.bn2(vgen.conv2(F.relu(vgen.bn1(vgen.conv1(feats)))))))  # (2, 2·11, 5)
    for v in range(2):  # vote v of seed s sits at index 2s + v
        offset = net[:, v * 11 : v * 11 + 3].transpose(1, 2)
        residual = net[:, v * 11 + 3 : (v + 1) * 11]
        torch.testing.assert_close(votes[:, v::2], seeds + offset)
        expected = feats + residual
        torch.testing.assert_close(vote_feats[:, :, v::2], expected / expected.norm(dim=1, keepdim=True))
