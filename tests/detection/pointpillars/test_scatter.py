import torch

from strl.detection.pointpillars.scatter import PointPillarScatter


def test_scatter_places_each_pillar_at_its_cell():
    scatter = PointPillarScatter((5, 3, 1))  # nx 5, ny 3
    features = torch.arange(8.0).view(4, 2)
    coords = torch.tensor([[0, 0, 0, 0], [0, 0, 2, 4], [1, 0, 1, 3], [1, 0, 0, 1]])
    bev = scatter(features, coords, batch_size=3)
    assert bev.shape == (3, 2, 3, 5)
    expected = torch.zeros(3, 2, 3, 5)
    for (b, _, y, x), f in zip(coords.tolist(), features):
        expected[b, :, y, x] = f
    torch.testing.assert_close(bev, expected)
    assert len(list(scatter.parameters())) == 0 and len(scatter.state_dict()) == 0
