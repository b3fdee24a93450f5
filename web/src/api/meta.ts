import { useQuery } from '@tanstack/react-query';
import { api } from './client.js';
import { keys } from './keys.js';

/** Brand, mode and languages: what every page needs before sign-in. */
export function useMeta() {
  return useQuery({
    queryKey: keys.meta,
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: async () => {
      const { data, error } = await api.GET('/api/v1/meta');
      if (error || !data) throw new Error('meta unavailable');
      return data;
    },
  });
}
